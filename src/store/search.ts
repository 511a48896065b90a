import type pg from 'pg';
import { InvalidArgumentError } from '../errors.js';
import { relationOf } from './collection-table.js';
import type { SearchHit, SearchOptions } from './document-store.js';
import { vectorParam } from './document-input.js';
import { checkFilter } from './filter.js';
import { requireCollection } from './registry.js';
import { lexicalStatement, runSearch, vectorStatement } from './search-sql.js';
import type { StoreFacts } from './store-setup.js';

export type SearchQuery = { kind: 'vector'; vector: Float32Array } | { kind: 'lexical'; query: string };

/** The first-stage window of /search is 1-1000. */
export const MAX_K = 1000;
/** The most chunk rows one search reads to find k distinct documents. */
const MAX_SCAN_ROWS = 64_000;
/** pgvector's largest hnsw.ef_search; and its default, below which we never go. */
export const MAX_EF_SEARCH = 1000;
const MIN_EF_SEARCH = 40;
/**
 * The candidate list per row asked for. At ef_search = k, 20,000 uniform 32-d vectors gave recall@100
 * 0.946 on both PGlite and Postgres (bench/store-bench.ts, AMD EPYC); twice k is the usual remedy and
 * costs a few milliseconds at k = 100.
 */
const EF_PER_ROW = 2;
/** pgvector's default hnsw.max_scan_tuples. */
const MAX_SCAN_TUPLES = 20_000;

/** Checks what can be checked before a connection is taken (the vector's length needs the collection). */
export function checkSearch(query: SearchQuery, k: number, options: SearchOptions): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new InvalidArgumentError(`k must be a whole number from 1 to ${MAX_K}, got ${k}.`);
  if (query.kind === 'lexical') {
    if (typeof query.query !== 'string') throw new InvalidArgumentError('The query must be a string.');
    if (query.query.includes('\u0000')) throw new InvalidArgumentError('The query contains a NUL character (U+0000), which PostgreSQL text cannot hold.');
  } else if (!(query.vector instanceof Float32Array)) {
    throw new InvalidArgumentError('The query vector must be a Float32Array.');
  }
  if (options.filter !== undefined) checkFilter(options.filter);
  const ef = options.efSearch;
  if (ef !== undefined && (!Number.isInteger(ef) || ef < 1 || ef > MAX_EF_SEARCH)) throw new InvalidArgumentError(`ef_search must be a whole number from 1 to ${MAX_EF_SEARCH}, got ${ef}.`);
}

/**
 * Settings for this transaction's index scans. hnsw.ef_search is the candidate list, and without
 * an iterative scan also the most rows the index returns, so it is twice the rows asked for
 * (pgvector's default 40 would cap a 100-row search at ~40). With a filter, the iterative scan
 * (pgvector >= 0.8, relaxed order; the outer query sorts again) keeps reading the graph until the
 * LIMIT is filled, so a selective filter still yields its k rows when that many match.
 */
async function tuneIndexScan(c: pg.ClientBase, facts: StoreFacts, rows: number, options: SearchOptions): Promise<void> {
  if (options.exact === true) {
    // No index scan: a sequential scan and a sort, exact by construction (bitmap scans on the GIN
    // index for a filter stay allowed; they are exact too).
    await c.query(`SELECT set_config('enable_indexscan', 'off', true)`);
    return;
  }
  // An explicit list is raised to the rows asked for: below them the index would return too few.
  const wanted = options.efSearch === undefined ? EF_PER_ROW * rows : Math.max(options.efSearch, rows);
  const ef = String(Math.min(Math.max(wanted, MIN_EF_SEARCH), MAX_EF_SEARCH));
  if (!facts.iterativeScan) {
    await c.query(`SELECT set_config('hnsw.ef_search', $1, true)`, [ef]);
    return;
  }
  const iterative = options.filter !== undefined || rows > MAX_EF_SEARCH;
  await c.query(`SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', $2, true), set_config('hnsw.max_scan_tuples', $3, true)`, [
    ef,
    iterative ? 'relaxed_order' : 'off',
    String(Math.max(MAX_SCAN_TUPLES, 2 * rows)),
  ]);
}

/**
 * One search, inside the caller's transaction. The inner scan reads chunk rows; when documents
 * have several chunks, k rows may hold fewer than k documents, so a scan that came back full but
 * short of k documents is repeated with four times the rows (an unchunked collection never repeats).
 */
export async function searchDocuments(c: pg.ClientBase, facts: StoreFacts, name: string, query: SearchQuery, k: number, options: SearchOptions): Promise<SearchHit[]> {
  const reg = await requireCollection(c, name);
  const { collection } = reg;
  const rel = relationOf(reg);
  const vector = query.kind === 'vector' ? vectorParam(query.vector, collection.dimensions, 'vector') : '';
  const language = collection.source?.language ?? collection.language;
  let rows = collection.chunking === null ? k : 2 * k;
  for (;;) {
    let statement;
    if (query.kind === 'vector') {
      await tuneIndexScan(c, facts, rows, options);
      statement = vectorStatement(rel, collection, vector, rows, k, options.filter, options.exact === true);
    } else {
      statement = lexicalStatement(rel, language, query.query, rows, k, options.filter);
    }
    const { hits, truncated } = await runSearch(c, statement, rows);
    if (hits.length >= k || !truncated || rows >= MAX_SCAN_ROWS) return hits;
    rows = Math.min(rows * 4, MAX_SCAN_ROWS);
  }
}
