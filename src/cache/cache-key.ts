import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { TruncationOptions } from '../text/pair-encoder.js';

/** Everything besides the two texts that changes a pair's score. */
export interface KeySettings extends TruncationOptions {
  /** Tokens per pair after every cap (the model's limit and --max-length). */
  maxLength: number;
}

/**
 * Names the weights, not just the model: two replicas serving different ONNX files under one
 * served name (a quantized variant, a re-export) must never share scores. Reads the whole file,
 * so it runs once at start-up.
 */
export async function modelIdentity(servedName: string, onnxPath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(onnxPath)) hash.update(chunk as Buffer);
  return `${servedName}@sha256:${hash.digest('hex')}`;
}

/**
 * One key per document, in order. The query and settings are hashed once per request into a
 * fixed-length prefix, so each document costs a single short hash; fixed length plus JSON
 * encoding keep field boundaries unambiguous.
 */
export function pairKeys(identity: string, query: string, documents: readonly string[], s: KeySettings): string[] {
  const prefix = createHash('sha256')
    .update(JSON.stringify([identity, s.maxLength, s.direction, s.maxTokensPerDoc ?? null, s.truncate, query]))
    .digest();
  return documents.map((d) => createHash('sha256').update(prefix).update(d).digest('base64url'));
}
