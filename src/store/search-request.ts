import { InvalidArgumentError } from '../errors.js';
import type { LegOptions } from './document-store.js';

/** What one leg looks for: a query vector, or the words of a full-text query. */
export type SearchQuery = { kind: 'vector'; vector: Float32Array } | { kind: 'lexical'; query: string };

/** The first-stage window of /search is 1-1000. */
export const MAX_K = 1000;
/** pgvector's largest hnsw.ef_search; /search's schema takes its bound from here. */
export const MAX_EF_SEARCH = 1000;

/**
 * Checks what can be checked before a connection is taken (the vector's length needs the
 * collection). A filter is checked between the two, when it is parsed: that was the order of the
 * checks when one function made them all, so the first error a request meets stays the same.
 */
export function checkQuery(query: SearchQuery, k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new InvalidArgumentError(`k must be a whole number from 1 to ${MAX_K}, got ${k}.`);
  if (query.kind === 'lexical') {
    if (typeof query.query !== 'string') throw new InvalidArgumentError('The query must be a string.');
    if (query.query.includes('\u0000')) throw new InvalidArgumentError('The query contains a NUL character (U+0000), which PostgreSQL text cannot hold.');
  } else if (!(query.vector instanceof Float32Array)) {
    throw new InvalidArgumentError('The query vector must be a Float32Array.');
  }
}

export function checkEfSearch(options: LegOptions): void {
  const ef = options.efSearch;
  if (ef !== undefined && (!Number.isInteger(ef) || ef < 1 || ef > MAX_EF_SEARCH)) throw new InvalidArgumentError(`ef_search must be a whole number from 1 to ${MAX_EF_SEARCH}, got ${ef}.`);
}
