import pg from 'pg';
import { buildConfig } from '../src/config.js';
import { openStore } from '../src/store/index.js';
import { MATCH_ALL } from '../src/store/sql/filter-sql.js';
import { relationOf } from '../src/store/sql/relation.js';
import { lexicalStatement } from '../src/store/sql/search-sql.js';
import { collectionTableName, indexNames } from '../src/store/sql/table-names.js';
import { describeMachine } from './machine.js';
import { allVectors, DIMENSIONS, exactTopK, squaredNorms, textStream, vectorStream, wordList } from './scale-corpus.js';
import { streamNdjson } from './search.js';
import { startService } from './service-contender.js';

/**
 * The scale run (issue 22, item 6): a collection of `documents` loaded through the service's
 * NDJSON route with ready 384-d vectors (the HNSW index built once after the rows), the same rows
 * again in a halfvec collection, then the first stage's legs through /search (rerank: false) at
 * concurrency 1 and 4, BM25's scored rows against the rows matching and the ts_rank_cd leg on the
 * same rows (Postgres), HNSW recall@100 against an exact scan at three ef_search values, and
 * /search reranking 100 candidates with the int8 reranker. One run's figures are kept in a JSON
 * file, so that runs at several sizes render together (and give the growth to extrapolate).
 */
export interface ScaleRun {
  store: 'postgres' | 'pglite';
  documents: number;
  at: string;
  machine: string;
  vocabulary: string;
  indexMemory: string;
  parallelWorkers: string;
  load: { seconds: number; indexSeconds: number | null; halfSeconds: number; halfIndexSeconds: number | null } | null;
  sizes: { vector: { table: number; index: number }; halfvec: { table: number; index: number }; gin: number; bm25: number } | null;
  legs: { leg: string; concurrency: number; ms: number[] }[];
  lexical: { scored: number[]; matching: number[]; tsRankMs: number[] };
  recall: { ef: number; vector: number; halfvec: number; vectorMs: number[]; halfvecMs: number[] }[];
  rerankMs: number[];
  /** The service's own BM25 postings: how long the first lexical search's background build took, and the process's memory before and after. */
  postings?: { seconds: number; rssBefore: number; rssAfter: number } | null;
}

const K = 100;
const COLLECTIONS = { vector: 'scale', halfvec: 'scale-half' } as const;

async function send(url: string, method: string, route: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${route}`, { method, headers: body === undefined ? { 'cache-control': 'no-store' } : { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok && !(method === 'DELETE' && res.status === 404)) throw new Error(`${method} ${route}: ${res.status} ${text.slice(0, 300)}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** The documents as one NDJSON body, generated as the service reads it (gigabytes at 1M). */
async function load(url: string, collection: string, documents: number, words: readonly string[], log: (m: string) => void): Promise<void> {
  const texts = textStream(words, 22);
  const vectors = vectorStream(1);
  const v = new Float32Array(DIMENSIONS);
  const started = performance.now();
  function* lines(): Generator<string> {
    for (let at = 0; at < documents; at += 500) {
      let part = '';
      for (let i = at; i < Math.min(documents, at + 500); i++) {
        vectors(v, 0);
        part += `{"id":"d${i}","text":${JSON.stringify(texts.doc())},"vector":[${v.join(',')}]}\n`;
      }
      if ((at + 500) % 50_000 === 0) log(`scale: ${collection}: sent ${at + 500} documents (${((at + 500) / ((performance.now() - started) / 1000)).toFixed(0)}/s)`);
      yield part;
    }
  }
  await streamNdjson(url, `/collections/${collection}/documents`, lines());
}

/** When Postgres began building the table's index (polled), for the build's share of a load. */
function watchIndexBuild(sql: pg.Pool | undefined, schema: string, table: string): { stop: () => number | null } {
  if (sql === undefined) return { stop: () => null };
  let began: number | null = null;
  const timer = setInterval(() => {
    void sql
      .query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_progress_create_index WHERE relid = to_regclass($1)`, [`${schema}."${table}"`])
      .then((r) => {
        if ((r.rows[0]?.n ?? 0) > 0) began ??= performance.now();
      })
      .catch(() => undefined);
  }, 250);
  return {
    stop: () => {
      clearInterval(timer);
      return began === null ? null : (performance.now() - began) / 1000;
    },
  };
}

/** Untimed vector searches of other queries of the mixture through both collections' indexes. */
async function warmIndexes(url: string, count: number): Promise<void> {
  const warm = vectorStream(3);
  const v = new Float32Array(DIMENSIONS);
  for (const collection of Object.values(COLLECTIONS)) {
    const bodies = Array.from({ length: count }, () => {
      warm(v, 0);
      return { collection, query: 'warm', vector: Array.from(v), mode: 'vector', candidates: K, top_n: K, rerank: false, return_documents: false };
    });
    await timedSearches(url, bodies, 4);
  }
}

/** Latencies of `bodies` through /search, `concurrency` at a time; `each` sees every answer. */
async function timedSearches(url: string, bodies: readonly object[], concurrency: number, each?: (i: number, answer: Record<string, unknown>) => void): Promise<number[]> {
  const ms = new Array<number>(bodies.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        const started = performance.now();
        const answer = await send(url, 'POST', '/search', bodies[i]);
        ms[i] = performance.now() - started;
        each?.(i, answer);
      }
    }),
  );
  return ms;
}

/** Parts of a run; a run may do some (SCALE_PHASES) and keep an earlier run's figures for the others. */
export const SCALE_PHASES = ['load', 'vector', 'lexical', 'recall', 'rerank'] as const;
export type ScalePhase = (typeof SCALE_PHASES)[number];

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

function rss(text: string): number {
  return Number(/^reranker_process_resident_memory_bytes (\S+)$/m.exec(text)?.[1] ?? NaN);
}

/**
 * Sends lexical searches until one is ranked from the service's own postings (its metrics count
 * them by ranking): the first one starts their build, and the SQL leg answers meanwhile.
 */
async function awaitPostings(url: string, search: object, log: (m: string) => void): Promise<{ seconds: number; rssBefore: number; rssAfter: number }> {
  const memory = (text: string): number => Number(/^reranker_lexical_searches_total\{ranking="memory"\} (\S+)$/m.exec(text)?.[1] ?? 0);
  const rssBefore = rss(await metricsText(url));
  const started = performance.now();
  for (;;) {
    await send(url, 'POST', '/search', search);
    const text = await metricsText(url);
    if (memory(text) > 0) {
      const seconds = (performance.now() - started) / 1000;
      log(`scale: the service's BM25 postings were ready after ${seconds.toFixed(0)} s`);
      return { seconds, rssBefore, rssAfter: rss(text) };
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export async function runScaleBench(o: {
  storeUrl: string | undefined;
  rerankerDir: string;
  modelDir: string;
  documents: number;
  queries: number;
  /** Queries also timed with the ts_rank_cd leg and counted (at 1M each takes seconds). */
  tsRankQueries: number;
  phases: ReadonlySet<ScalePhase>;
  indexMemory: string;
  log: (m: string) => void;
}): Promise<ScaleRun> {
  const { words, source } = wordList(o.modelDir);
  // A schema per size, so runs at several sizes stay loaded side by side.
  const SCHEMA = `bench_scale_${o.documents}`;
  const storeArgs = o.storeUrl === undefined ? ['--data-dir', `/tmp/${SCHEMA}-pglite`] : ['--store', o.storeUrl];
  const service = await startService(o.rerankerDir, 'onnx/model_quantized.onnx', [...storeArgs, '--store-schema', SCHEMA, '--store-index-memory', o.indexMemory, '--store-timeout-ms', '600000', '--request-body-timeout-ms', '0', '--workers', '1']);
  const sql = o.storeUrl === undefined ? undefined : new pg.Pool({ connectionString: o.storeUrl, max: 2, options: `-c search_path=${SCHEMA},public` });
  try {
    let loadFigures: ScaleRun['load'] = null;
    if (o.phases.has('load')) {
      const seconds: number[] = [];
      const builds: (number | null)[] = [];
      for (const [type, name] of Object.entries(COLLECTIONS)) {
        await send(service.url, 'DELETE', `/collections/${name}`);
        await send(service.url, 'PUT', `/collections/${name}`, { dimensions: DIMENSIONS, vector_type: type });
        const watch = watchIndexBuild(sql, SCHEMA, collectionTableName(name));
        const started = performance.now();
        await load(service.url, name, o.documents, words, o.log);
        seconds.push((performance.now() - started) / 1000);
        builds.push(watch.stop());
        o.log(`scale: ${name}: ${o.documents} documents in ${seconds.at(-1)?.toFixed(0)} s (index build ${builds.at(-1)?.toFixed(0) ?? '?'} s)`);
      }
      loadFigures = { seconds: seconds[0] as number, indexSeconds: builds[0] ?? null, halfSeconds: seconds[1] as number, halfIndexSeconds: builds[1] ?? null };
    }
    const documents = Number((await send(service.url, 'GET', `/collections/${COLLECTIONS.vector}`))['documents'] ?? o.documents);
    const texts = textStream(words, 1022);
    const qv = vectorStream(2);
    const queries = Array.from({ length: o.queries }, (_, i) => {
      const v = new Float32Array(DIMENSIONS);
      qv(v, 0);
      return { text: texts.query(i), vector: v };
    });
    const body = (i: number, mode: string, extra: object = {}): object => {
      const q = queries[i] as { text: string; vector: Float32Array };
      return { collection: COLLECTIONS.vector, query: q.text, vector: Array.from(q.vector), mode, candidates: K, top_n: K, rerank: false, return_documents: false, ...extra };
    };
    const idx = queries.map((_, i) => i);
    let postings: ScaleRun['postings'] = null;
    if (o.phases.has('lexical')) postings = await awaitPostings(service.url, body(1, 'lexical'), o.log);
    const legNames = [...(o.phases.has('vector') ? ['vector', 'halfvec'] : []), ...(o.phases.has('lexical') ? ['lexical', 'hybrid'] : [])];
    // Warm, untimed: 200 other queries of the same mixture through each collection's index (the
    // first pass after a load or a build ran at several times the steady latency, GBs of index
    // being read into the caches), and a few of each leg.
    if (o.phases.has('vector') || o.phases.has('recall')) await warmIndexes(service.url, 200);
    for (const mode of legNames.filter((l) => l !== 'halfvec')) await timedSearches(service.url, idx.slice(0, 5).map((i) => body(i, mode)), 1);
    const legs: ScaleRun['legs'] = [];
    const scored: number[] = [];
    for (const concurrency of [1, 4]) {
      for (const leg of legNames) {
        const mode = leg === 'halfvec' ? 'vector' : leg;
        const extra = leg === 'halfvec' ? { collection: COLLECTIONS.halfvec } : {};
        const ms = await timedSearches(service.url, idx.map((i) => body(i, mode, extra)), concurrency, (_, a) => {
          if (leg === 'lexical' && concurrency === 1) scored.push(Number((a['usage'] as { lexical_scored?: number }).lexical_scored ?? 0));
        });
        legs.push({ leg, concurrency, ms });
        o.log(`scale: ${leg} at concurrency ${concurrency} done`);
      }
    }
    const lexical = { scored, matching: [] as number[], tsRankMs: [] as number[] };
    let sizes: ScaleRun['sizes'] = null;
    if (sql !== undefined && o.storeUrl !== undefined && o.phases.has('lexical')) {
      const store = await openStore(buildConfig({ store: o.storeUrl, storeSchema: SCHEMA }).store, {});
      if (store === undefined) throw new Error('no store');
      try {
        const table = collectionTableName(COLLECTIONS.vector);
        const rel = relationOf({ collection: await store.getCollection(COLLECTIONS.vector), table });
        for (const q of queries.slice(0, o.tsRankQueries)) {
          const statement = lexicalStatement(rel, 'english', q.text, K, K, MATCH_ALL);
          const started = performance.now();
          await sql.query(statement.text, statement.values);
          lexical.tsRankMs.push(performance.now() - started);
          const count = await sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM "${table}" WHERE tsv @@ (SELECT string_agg(quote_literal(l), ' | ')::tsquery FROM unnest(tsvector_to_array(to_tsvector('english', $1::text))) l)`,
            [q.text],
          );
          lexical.matching.push(count.rows[0]?.n ?? 0);
        }
      } finally {
        await store.close();
      }
    }
    if (sql !== undefined) {
      const size = async (fn: string, rel: string): Promise<number> => Number((await sql.query<{ n: string }>(`SELECT ${fn}(to_regclass($1)) AS n`, [rel])).rows[0]?.n ?? NaN);
      const of = (name: string): Promise<{ table: number; index: number }> =>
        Promise.all([size('pg_table_size', `"${collectionTableName(name)}"`), size('pg_relation_size', `"${indexNames(collectionTableName(name)).hnsw}"`)]).then(([table, index]) => ({ table, index }));
      const t = collectionTableName(COLLECTIONS.vector);
      sizes = { vector: await of(COLLECTIONS.vector), halfvec: await of(COLLECTIONS.halfvec), gin: await size('pg_relation_size', `"${indexNames(t).tsv}"`), bm25: (await size('pg_total_relation_size', `"${t}_bmt"`)) + (await size('pg_total_relation_size', `"${t}_bmn"`)) };
    }
    // Recall@100 against the exact nearest neighbours of the vectors as stored.
    const recallQueries = idx.slice(0, 50);
    const recall: ScaleRun['recall'] = [];
    if (o.phases.has('recall')) o.log('scale: exact nearest neighbours for the recall queries');
    const all = o.phases.has('recall') ? allVectors(documents) : new Float32Array(0);
    const norms = squaredNorms(all, all.length / DIMENSIONS);
    const truth = o.phases.has('recall') ? recallQueries.map((i) => new Set(exactTopK(all, norms, (queries[i] as { vector: Float32Array }).vector, K).map((n) => `d${n}`))) : [];
    // The exact scan above held the CPU for a while; the index scans warm again before they are timed.
    if (o.phases.has('recall')) await warmIndexes(service.url, 50);
    for (const ef of o.phases.has('recall') ? [K, 2 * K, 4 * K] : []) {
      const found = { vector: 0, halfvec: 0 };
      const ms = { vector: [] as number[], halfvec: [] as number[] };
      for (const type of ['vector', 'halfvec'] as const) {
        ms[type] = await timedSearches(service.url, recallQueries.map((i) => body(i, 'vector', { collection: COLLECTIONS[type], ef_search: ef })), 1, (i, a) => {
          const hits = (a['results'] as { id: string }[]).map((r) => r.id);
          found[type] += hits.filter((h) => truth[i]?.has(h)).length / K;
        });
      }
      recall.push({ ef, vector: found.vector / recallQueries.length, halfvec: found.halfvec / recallQueries.length, vectorMs: ms.vector, halfvecMs: ms.halfvec });
    }
    if (o.phases.has('rerank')) o.log('scale: /search with rerank');
    const rerankMs = !o.phases.has('rerank') ? [] : await timedSearches(service.url, recallQueries.map((i) => body(i, 'hybrid', { rerank: true, top_n: 10, return_documents: true })), 1);
    const setting = async (name: string): Promise<string> => (sql === undefined ? 'PGlite' : ((await sql.query<{ v: string }>(`SELECT current_setting($1) AS v`, [name])).rows[0]?.v ?? '?'));
    return {
      store: o.storeUrl === undefined ? 'pglite' : 'postgres',
      documents,
      at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      machine: describeMachine(),
      vocabulary: source,
      indexMemory: o.indexMemory,
      parallelWorkers: await setting('max_parallel_maintenance_workers'),
      load: loadFigures,
      sizes,
      legs,
      lexical,
      recall,
      rerankMs,
      postings,
    };
  } finally {
    await sql?.end();
    await service.stop();
  }
}
