import { InvalidArgumentError } from '../errors.js';
import type { DocumentChunk, DocumentInput } from './document-store.js';

/**
 * Both backends keep text in PostgreSQL text and jsonb, which cannot hold NUL (U+0000), so a NUL
 * anywhere in an id, a text or the metadata is rejected with a clear error rather than silently
 * stripped (stripping would store a different id than the one the caller will ask for). Ids are limited to 1024 UTF-8 bytes: the
 * primary key's btree holds at most ~2.7 kB a row, and an id is not a document.
 */
export const MAX_ID_BYTES = 1024;
const MAX_METADATA_DEPTH = 32;

/** A document that passed every check; what a backend turns into its rows. */
export interface CheckedDocument {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  chunks: readonly DocumentChunk[];
}

function bad(message: string, code: 'INVALID_ARGUMENT' | 'DIMENSION_MISMATCH' = 'INVALID_ARGUMENT'): never {
  throw new InvalidArgumentError(message, code);
}

function noNul(s: string, what: string): void {
  if (s.includes('\u0000')) bad(`${what} contains a NUL character (U+0000), which PostgreSQL text cannot store.`);
}

/** A lone UTF-16 surrogate (half of an emoji, say): jsonb refuses its escape, and in an id it would not round-trip. */
const LONE_SURROGATE = /\p{Cs}/u;

function wellFormed(s: string, what: string): void {
  if (LONE_SURROGATE.test(s)) bad(`${what} contains a lone UTF-16 surrogate (U+D800 to U+DFFF), which is not valid Unicode.`);
}

export function checkDocumentId(id: unknown, what: string): string {
  if (typeof id !== 'string' || id.length === 0) bad(`${what} must be a non-empty string.`);
  noNul(id, what);
  wellFormed(id, what);
  const bytes = Buffer.byteLength(id);
  if (bytes > MAX_ID_BYTES) bad(`${what} is ${bytes} bytes long; ids may be at most ${MAX_ID_BYTES} bytes.`);
  return id;
}

function checkMetadata(value: unknown, what: string, depth: number): void {
  if (depth > MAX_METADATA_DEPTH) bad(`${what} nests deeper than ${MAX_METADATA_DEPTH} levels.`);
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) bad(`${what} is not a finite number.`);
    return;
  }
  if (typeof value === 'string') {
    noNul(value, what);
    return wellFormed(value, what);
  }
  if (Array.isArray(value)) return value.forEach((v, i) => checkMetadata(v, `${what}[${i}]`, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      noNul(k, `a key of ${what}`);
      wellFormed(k, `a key of ${what}`);
      checkMetadata(v, `${what}.${k}`, depth + 1);
    }
    return;
  }
  bad(`${what} is not a JSON value.`);
}

/** A document's metadata as a whole: a JSON object whose values the store can hold. */
export function checkMetadataObject(metadata: unknown, what: string): Record<string, unknown> {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) bad(`${what} must be a JSON object.`);
  checkMetadata(metadata, what, 0);
  return metadata as Record<string, unknown>;
}

/** Checks a vector's type and length, and that every value is finite. */
export function checkVector(vector: unknown, dimensions: number, what: string): Float32Array {
  if (!(vector instanceof Float32Array)) bad(`${what} must be a Float32Array.`);
  if (vector.length !== dimensions) bad(`${what} has ${vector.length} dimensions; the collection has ${dimensions}.`, 'DIMENSION_MISMATCH');
  for (let i = 0; i < vector.length; i++) if (!Number.isFinite(vector[i])) bad(`${what}[${i}] is not a finite number.`);
  return vector;
}

/**
 * Checks every document, in order, each part before the next, so the first problem is the one
 * reported. A later document with the same id replaces an earlier one of the same call, as it would
 * in separate calls.
 */
export function checkDocuments(docs: readonly DocumentInput[], dimensions: number): CheckedDocument[] {
  if (!Array.isArray(docs)) bad('documents must be an array.');
  const byId = new Map<string, CheckedDocument>();
  docs.forEach((doc, i) => {
    const at = `documents[${i}]`;
    if (typeof doc !== 'object' || doc === null) bad(`${at} must be an object.`);
    const id = checkDocumentId(doc.id, `${at}.id`);
    if (typeof doc.text !== 'string') bad(`${at}.text must be a string.`);
    noNul(doc.text, `${at}.text`);
    const metadata = doc.metadata ?? {};
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) bad(`${at}.metadata must be a JSON object.`);
    checkMetadata(metadata, `${at}.metadata`, 0);
    if (!Array.isArray(doc.chunks) || doc.chunks.length === 0) bad(`${at}.chunks must hold at least one chunk.`);
    (doc.chunks as readonly DocumentChunk[]).forEach((chunk, c) => {
      if (typeof chunk?.text !== 'string') bad(`${at}.chunks[${c}].text must be a string.`);
      noNul(chunk.text, `${at}.chunks[${c}].text`);
      checkVector(chunk.embedding, dimensions, `${at}.chunks[${c}].embedding`);
    });
    byId.delete(id);
    byId.set(id, { id, text: doc.text, metadata, chunks: doc.chunks });
  });
  return [...byId.values()];
}
