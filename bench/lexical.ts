import pg from 'pg';
import { buildConfig } from '../src/config.js';
import { openStore, type DocumentInput } from '../src/store/index.js';
import { MATCH_ALL } from '../src/store/sql/filter-sql.js';
import { relationOf } from '../src/store/sql/relation.js';
import { lexicalStatement } from '../src/store/sql/search-sql.js';
import { bm25Tables, collectionTableName } from '../src/store/sql/table-names.js';
import { mulberry32 } from '../src/tools/forge/prng.js';
import { zipfSampler } from '../src/tools/quantize/synthetic-workload.js';
import { wordList } from './scale-corpus.js';
import { percentile } from './stats.js';

/**
 * The lexical leg on the real Postgres (issue 22): a collection of Zipf-distributed texts (over
 * Debian's word list when installed, else the forged model's vocabulary), loaded through the store
 * with its BM25 statistics triggers, and for the same load without them (the statistics' cost);
 * then queries of 1 to 10 words drawn like the documents (single frequent words included), ranked
 * by BM25 (the service's leg) and, on the same rows, by ts_rank_cd (the leg before issue 22).
 * Vectors are 2-d: this measures the lexical leg, not the vector index.
 */
export interface LexicalReport {
  documents: number;
  words: number;
  vocabulary: string;
  loadSeconds: number;
  loadSecondsWithoutStats: number;
  statsSample: number;
  bm25Ms: number[];
  tsRankMs: number[];
  scored: number[];
  matching: number[];
  sizes: { table: number; tsvIndex: number; terms: number; totals: number };
  top10Overlap: number;
  queries: number;
}

const SCHEMA = 'bench_lexical';
const K = 100;

/**
 * `reuse`: query the collection an earlier run left (loading 1M documents takes most of half an
 * hour here); the load figures are then absent.
 */
export async function runLexicalBench(o: { url: string; modelDir: string; documents: number; queries: number; reuse: boolean; log: (m: string) => void }): Promise<LexicalReport> {
  const { words, source } = wordList(o.modelDir);
  const rand = mulberry32(22);
  const draw = zipfSampler(words.length, rand, 1);
  const text = (n: number): string => Array.from({ length: n }, () => words[draw()]).join(' ');
  const docs = (count: number, prefix: string): DocumentInput[] =>
    Array.from({ length: count }, (_, i) => {
      const t = text(20 + Math.floor(rand() * 80));
      return { id: `${prefix}${i}`, text: t, metadata: {}, chunks: [{ text: t, embedding: Float32Array.of(rand(), rand()) }] };
    });
  // The leg as SQL ranks it (--lexical-index sql): the scale section measures the service's postings in memory.
  const store = await openStore(buildConfig({ store: o.url, storeSchema: SCHEMA, lexicalIndex: 'sql' }).store, {});
  if (store === undefined) throw new Error('no store');
  const sql = new pg.Pool({ connectionString: o.url, max: 2, options: `-c search_path=${SCHEMA},public` });
  try {
    const chunk = 10_000;
    /** Loads `count` documents in calls of `chunk`, answering the seconds. No HNSW index: this measures the lexical side. */
    const load = async (name: string, count: number, prefix: string): Promise<number> => {
      let seconds = 0;
      for (let at = 0; at < count; at += chunk) {
        const part = docs(Math.min(chunk, count - at), `${prefix}${at}-`);
        const started = performance.now();
        await store.upsert(name, part, { deferIndex: true });
        seconds += (performance.now() - started) / 1000;
        o.log(`lexical: ${name}: loaded ${at + part.length} of ${count} documents (${((at + part.length) / seconds).toFixed(0)} documents/s)`);
      }
      return seconds;
    };
    let documents = o.documents;
    let loadSeconds = NaN;
    let loadSecondsWithoutStats = NaN;
    let statsSample = 0;
    if (o.reuse) {
      documents = await store.count('zipf');
      o.log(`lexical: querying the ${documents} documents an earlier run loaded`);
    } else {
      for (const name of ['zipf', 'zipf-nostats']) await store.dropCollection(name).catch(() => undefined);
      await store.createCollection({ name: 'zipf', dimensions: 2 });
      loadSeconds = await load('zipf', o.documents, 'd');
      // The statistics' cost: the same kind of load into a collection whose triggers are off.
      statsSample = Math.min(o.documents, 50_000);
      await store.createCollection({ name: 'zipf-nostats', dimensions: 2 });
      await sql.query(`ALTER TABLE "${collectionTableName('zipf-nostats')}" DISABLE TRIGGER USER`);
      loadSecondsWithoutStats = await load('zipf-nostats', statsSample, 's');
      await store.dropCollection('zipf-nostats');
    }
    let started: number;
    const table = collectionTableName('zipf');
    await sql.query(`ANALYZE "${table}"`);

    const collection = await store.getCollection('zipf');
    const rel = relationOf({ collection, table });
    const queries = Array.from({ length: o.queries }, (_, i) => (i % 10 === 0 ? (words[draw() % 20] as string) : text(1 + Math.floor(rand() * 10))));
    const bm25Ms: number[] = [];
    const tsRankMs: number[] = [];
    const scored: number[] = [];
    const matching: number[] = [];
    let overlap = 0;
    // One untimed pass warms the caches for both.
    for (const q of queries.slice(0, 10)) await store.lexicalSearch('zipf', q, K);
    for (const q of queries) {
      started = performance.now();
      const hits = await store.lexicalSearch('zipf', q, K, { scored: (n) => scored.push(n) });
      bm25Ms.push(performance.now() - started);
      const statement = lexicalStatement(rel, 'english', q, K, K, MATCH_ALL);
      started = performance.now();
      const ts = await sql.query<{ id: string }>(statement.text, statement.values);
      tsRankMs.push(performance.now() - started);
      const count = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${table}" WHERE tsv @@ (SELECT string_agg(quote_literal(l), ' | ')::tsquery FROM unnest(tsvector_to_array(to_tsvector('english', $1::text))) l)`,
        [q],
      );
      matching.push(count.rows[0]?.n ?? 0);
      const top = new Set(ts.rows.slice(0, 10).map((r) => r.id));
      overlap += hits.slice(0, 10).filter((h) => top.has(h.id)).length / Math.max(1, Math.min(10, hits.length));
    }
    const { terms, totals } = bm25Tables(table);
    const size = async (rel: string): Promise<number> => Number((await sql.query<{ n: string }>(`SELECT pg_total_relation_size($1::regclass) AS n`, [`"${rel}"`])).rows[0]?.n);
    const sizes = { table: await size(table), tsvIndex: Number((await sql.query<{ n: string }>(`SELECT pg_relation_size($1::regclass) AS n`, [`"${table}_tsv"`])).rows[0]?.n), terms: await size(terms), totals: await size(totals) };
    return { documents, words: words.length, vocabulary: source, loadSeconds, loadSecondsWithoutStats, statsSample, bm25Ms, tsRankMs, scored, matching, sizes, top10Overlap: overlap / queries.length, queries: queries.length };
  } finally {
    await sql.end();
    await store.close();
  }
}

export function renderLexical(r: LexicalReport): string[] {
  const p = (xs: number[], q: number): string => percentile(xs, q).toFixed(1);
  const mb = (b: number): string => `${(b / 1e6).toFixed(0)} MB`;
  const ratio = r.scored.map((s, i) => s / Math.max(1, r.matching[i] as number));
  const statsRate = r.statsSample / r.loadSecondsWithoutStats;
  return [
    `### Lexical leg on Postgres: BM25 with pruning against ts_rank_cd (${r.documents.toLocaleString('en')} documents)`,
    '',
    `Documents of 20-100 words drawn with Zipf's law (s = 1) from ${r.vocabulary}; ${r.queries} queries of 1-10 words drawn the same way (every tenth one of the 20 most frequent words alone); top ${K}, concurrency 1, through the store (no HTTP).`,
    '',
    '| lexical leg | p50 ms | p99 ms | rows scored per query (median / p99) | of the rows matching (median / p99) |',
    '|---|---|---|---|---|',
    `| BM25 in SQL, MaxScore pruning (\`--lexical-index sql\`) | ${p(r.bm25Ms, 50)} | ${p(r.bm25Ms, 99)} | ${percentile(r.scored, 50).toFixed(0)} / ${percentile(r.scored, 99).toFixed(0)} | ${percentile(r.matching, 50).toFixed(0)} / ${percentile(r.matching, 99).toFixed(0)} |`,
    `| ts_rank_cd (before issue 22; attached tables) | ${p(r.tsRankMs, 50)} | ${p(r.tsRankMs, 99)} | every match | ${percentile(r.matching, 50).toFixed(0)} / ${percentile(r.matching, 99).toFixed(0)} |`,
    '',
    `- Rows scored over rows matching: median ${percentile(ratio, 50).toFixed(2)}, p99 ${percentile(ratio, 99).toFixed(2)}. Top-10 overlap of the two rankings: ${r.top10Overlap.toFixed(2)} (they are different rankings; BM25 weighs rare terms by idf).`,
    Number.isNaN(r.loadSeconds)
      ? '- The collection an earlier run loaded was queried (LEXICAL_REUSE): no load figures in this run.'
      : `- Load through the store (calls of 10,000 documents, no HNSW index): ${(r.documents / r.loadSeconds).toFixed(0)} documents/s with the statistics triggers; ${statsRate.toFixed(0)} documents/s for the first ${r.statsSample.toLocaleString('en')} documents of the same kind without them.`,
    `- Sizes: table with its indexes ${mb(r.sizes.table)} (the tsvector GIN index ${mb(r.sizes.tsvIndex)}); statistics ${mb(r.sizes.terms + r.sizes.totals)}.`,
  ];
}
