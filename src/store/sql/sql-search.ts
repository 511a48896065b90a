import type pg from 'pg';
import type { Collection, LegOptions, SearchHit } from '../document-store.js';
import { MAX_EF_SEARCH, type SearchQuery } from '../search-request.js';
import type { CompiledFilter } from './filter-sql.js';
import { vectorParam } from './prepared-rows.js';
import type { Relation } from './relation.js';
import { lexicalStatement, runSearch, vectorStatement } from './search-sql.js';
import type { StoreFacts } from './store-setup.js';
import { bm25Search } from './bm25-search.js';
import { ownTable } from './table-names.js';

/** The most chunk rows one search reads to find k distinct documents. */
const MAX_SCAN_ROWS = 64_000;
/** pgvector's default hnsw.ef_search, below which we never go. */
const MIN_EF_SEARCH = 40;
/**
 * The candidate list per row asked for. At ef_search = k, 20,000 uniform 32-d vectors gave recall@100
 * 0.946 on both PGlite and Postgres (bench/store-bench.ts, AMD EPYC); twice k is the usual remedy and
 * costs a few milliseconds at k = 100.
 */
const EF_PER_ROW = 2;
/** pgvector's default hnsw.max_scan_tuples. */
const MAX_SCAN_TUPLES = 20_000;

/** What both legs of one search share: the collection as read once, its rows, and the filter compiled once. */
export interface SearchTarget {
  collection: Collection;
  rel: Relation;
  filter: CompiledFilter;
  /** Whether the request had a filter at all (even {}): it turns the iterative index scan on. */
  filtered: boolean;
}

/**
 * Settings for this transaction's index scans. hnsw.ef_search is the candidate list, and without
 * an iterative scan also the most rows the index returns, so it is twice the rows asked for
 * (pgvector's default 40 would cap a 100-row search at ~40). With a filter, the iterative scan
 * (pgvector >= 0.8, relaxed order; the outer query sorts again) keeps reading the graph until the
 * LIMIT is filled, so a selective filter still yields its k rows when that many match.
 */
async function tuneIndexScan(c: pg.ClientBase, facts: StoreFacts, rows: number, filtered: boolean, options: LegOptions): Promise<void> {
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
  const iterative = filtered || rows > MAX_EF_SEARCH;
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
export async function searchDocuments(c: pg.ClientBase, facts: StoreFacts, target: SearchTarget, query: SearchQuery, k: number, options: LegOptions): Promise<SearchHit[]> {
  const { collection, rel, filter } = target;
  const vector = query.kind === 'vector' ? vectorParam(query.vector, collection.dimensions, 'vector') : '';
  const language = collection.source?.language ?? collection.language;
  const table = ownTable(collection);
  if (query.kind === 'lexical' && table !== null && collection.bm25 !== null) {
    // The in-memory postings when ready (not under a filter: they hold no metadata), else SQL: the same top k.
    const fast = target.filtered ? undefined : await facts.lexical?.search(c, rel, table, language, query.query, k, collection.bm25);
    const result = fast ?? (await bm25Search(c, rel, table, language, query.query, k, collection.bm25, filter));
    options.scored?.(result.scored, fast === undefined ? 'sql' : 'memory');
    return result.hits;
  }
  let rows = collection.chunking === null ? k : 2 * k;
  for (;;) {
    let statement;
    if (query.kind === 'vector') {
      await tuneIndexScan(c, facts, rows, target.filtered, options);
      statement = vectorStatement(rel, collection, vector, rows, k, filter, options.exact === true);
    } else {
      statement = lexicalStatement(rel, language, query.query, rows, k, filter);
    }
    const { hits, scanned } = await runSearch(c, statement);
    if (hits.length >= k || scanned < rows || rows >= MAX_SCAN_ROWS) return hits;
    rows = Math.min(rows * 4, MAX_SCAN_ROWS);
  }
}
