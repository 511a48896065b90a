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
 * Text hashed between two yields to the event loop. A 200-document request of 20,000 characters
 * each is 4 MB to hash (5-8 ms on one core), which in one piece would hold up every other request
 * and probe; in 256 KB slices no piece takes more than about half a millisecond.
 */
const YIELD_EVERY_CHARS = 256 * 1024;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function keysWithPrefix(prefix: Buffer, texts: readonly string[]): Promise<string[]> {
  const keys = new Array<string>(texts.length);
  let sinceYield = 0;
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i] as string;
    keys[i] = createHash('sha256').update(prefix).update(text).digest('base64url');
    sinceYield += text.length;
    if (sinceYield >= YIELD_EVERY_CHARS && i < texts.length - 1) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  return keys;
}

/**
 * One key per document, in order. The query and settings are hashed once per request into a
 * fixed-length prefix, so each document costs a single short hash; fixed length plus JSON
 * encoding keep field boundaries unambiguous.
 */
export function pairKeys(identity: string, query: string, documents: readonly string[], s: PairKeySettings): Promise<string[]> {
  const prefix = createHash('sha256')
    .update(JSON.stringify(['pair', identity, s.maxLength, s.direction, s.maxTokensPerDoc ?? null, s.truncate, query]))
    .digest();
  return keysWithPrefix(prefix, documents);
}

/** One key per text, in order; the prefix names the embedder and its settings. */
export function textKeys(identity: string, texts: readonly string[], s: TextKeySettings): Promise<string[]> {
  const prefix = createHash('sha256')
    .update(JSON.stringify(['text', identity, s.maxLength, s.direction, s.truncate]))
    .digest();
  return keysWithPrefix(prefix, texts);
}
