import { createHash } from 'node:crypto';
import { textBytes, textCount, type PackedTexts } from '../text/packed-texts.js';
import type { TruncationOptions } from '../text/pair-encoder.js';
import type { TextTruncation } from '../text/text-encoder.js';

/** Everything besides the two texts that changes a pair's score. */
export interface PairKeySettings extends TruncationOptions {
  /** Tokens per pair after every cap (the model's limit and --max-length). */
  maxLength: number;
  /** A decoder reranker's instruction, when the request gave one (the default is in the model's identity). */
  instruction?: string | undefined;
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

/**
 * Keys over texts as strings or as packed UTF-8: a string is hashed as its UTF-8 bytes, so both
 * forms of one text have one key.
 */
async function keysWithPrefix(prefix: Buffer, count: number, text: (i: number) => string | Uint8Array): Promise<string[]> {
  const keys = new Array<string>(count);
  let sinceYield = 0;
  for (let i = 0; i < count; i++) {
    const t = text(i);
    keys[i] = createHash('sha256').update(prefix).update(t).digest('base64url');
    sinceYield += t.length;
    if (sinceYield >= YIELD_EVERY_CHARS && i < count - 1) {
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
export function pairKeys(identity: string, query: string, documents: PackedTexts, s: PairKeySettings): Promise<string[]> {
  const prefix = createHash('sha256')
    .update(JSON.stringify(['pair', identity, s.maxLength, s.direction, s.maxTokensPerDoc ?? null, s.truncate, query, ...(s.instruction === undefined ? [] : [s.instruction])]))
    .digest();
  return keysWithPrefix(prefix, textCount(documents), (i) => textBytes(documents, i));
}

/** One key per text, in order; the prefix names the embedder and its settings. */
export function textKeys(identity: string, texts: readonly string[], s: TextKeySettings): Promise<string[]> {
  const prefix = createHash('sha256')
    .update(JSON.stringify(['text', identity, s.maxLength, s.direction, s.truncate]))
    .digest();
  return keysWithPrefix(prefix, texts.length, (i) => texts[i] as string);
}
