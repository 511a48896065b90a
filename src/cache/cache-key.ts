import { createHash } from 'node:crypto';
import type { TruncationOptions } from '../text/pair-encoder.js';
import type { TextTruncation } from '../text/text-encoder.js';

/** Everything besides the two texts that changes a pair's score. */
export interface PairKeySettings extends TruncationOptions {
  /** Tokens per pair after every cap (the model's limit and --max-length). */
  maxLength: number;
}

/** Everything besides the text that changes its embedding. */
export interface TextKeySettings extends TextTruncation {
  maxLength: number;
}

/**
 * One key per document, in order. The query and settings are hashed once per request into a
 * fixed-length prefix, so each document costs a single short hash; fixed length plus JSON
 * encoding keep field boundaries unambiguous.
 */
export function pairKeys(identity: string, query: string, documents: readonly string[], s: PairKeySettings): string[] {
  const prefix = createHash('sha256')
    .update(JSON.stringify(['pair', identity, s.maxLength, s.direction, s.maxTokensPerDoc ?? null, s.truncate, query]))
    .digest();
  return documents.map((d) => createHash('sha256').update(prefix).update(d).digest('base64url'));
}

/** One key per text, in order; the prefix names the embedder and its settings. */
export function textKeys(identity: string, texts: readonly string[], s: TextKeySettings): string[] {
  const prefix = createHash('sha256')
    .update(JSON.stringify(['text', identity, s.maxLength, s.direction, s.truncate]))
    .digest();
  return texts.map((t) => createHash('sha256').update(prefix).update(t).digest('base64url'));
}
