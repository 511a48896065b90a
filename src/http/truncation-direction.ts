import type { TruncationDirection } from '../config.js';

/** The spellings the request schemas accept: TEI capitalises, Cohere and Jina do not. */
export type RequestedDirection = 'right' | 'left' | 'Right' | 'Left';

/** A request's truncation_direction (typed by its schema) as the text encoders take it, else the setting. */
export function truncationDirection(requested: RequestedDirection | undefined, fallback: TruncationDirection): TruncationDirection {
  if (requested === undefined) return fallback;
  return requested === 'left' || requested === 'Left' ? 'left' : 'right';
}
