/**
 * The document stores on their own: ingest rate and index build time, then kNN latency for 100
 * neighbours, exact against HNSW, and HNSW recall@100 against the store's exact answer, unfiltered
 * and with a filter keeping 20%; plus the lexical leg's latency. For PGlite and, when it answers,
 * Postgres with pgvector. Vectors are given (384-d unit vectors, uniform or clustered), so no
 * embedding is timed here. Uniform random vectors are the hardest case for HNSW (no neighbourhood
 * structure); clustered ones are closer to what an embedding model produces.
 *
 *   npm run build && tsc -p bench/tsconfig.json && node dist-bench/bench/store-bench.js [--docs 100000]
 *
 * The stores come from dist/ (what `npm start` runs), whose PGlite worker is compiled there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import type { DocumentInput, DocumentStore, openStore as OpenStore } from '../src/store/index.js';
import { describeMachine } from './machine.js';
import { percentile } from './stats.js';

type VectorKind = 'random' | 'clustered';

interface Options {
  docs: number;
  vectors: VectorKind[];
  queries: number;
  dims: number;
  postgres: string | undefined;
  seed: number;
}

interface StoreResult {
  store: string;
  vectors: VectorKind;
  docs: number;
  writeSeconds: number;
  indexSeconds: number;
  exact: number[];
  hnsw: number[];
  recall: number;
  filteredExact: number[];
  filteredHnsw: number[];
  filteredRecall: number;
  filteredRows: number;
  lexical: number[];
}

const K = 100;
const UPSERT_CALL = 1000;
const log = (msg: string): void => void process.stderr.write(`[store-bench] ${msg}\n`);

function parse(argv: string[]): Options {
  const o = new Command('store-bench')
    .option('--docs <n>', 'documents to insert', '100000')
    .option('--vectors <kinds>', 'random (uniform on the sphere: the hardest case for HNSW) and/or clustered (100 centres plus noise, closer to real embeddings)', 'random,clustered')
    .option('--queries <n>', 'kNN queries per measurement', '50')
    .option('--dims <n>', 'vector dimensions', '384')
    .option('--postgres <url>', 'Postgres with pgvector (none to skip)', process.env['STORE_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test')
    .option('--seed <n>', 'generator seed', '1')
    .parse(argv)
    .opts<{ docs: string; vectors: string; queries: string; dims: string; postgres: string; seed: string }>();
  const int = (flag: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got ${v}`);
    return n;
  };
  const vectors = o.vectors.split(',').map((v) => v.trim());
  if (vectors.length === 0 || vectors.some((v) => v !== 'random' && v !== 'clustered')) throw new Error(`--vectors takes random and/or clustered, got ${o.vectors}`);
  return { docs: int('--docs', o.docs), vectors: vectors as VectorKind[], queries: int('--queries', o.queries), dims: int('--dims', o.dims), postgres: o.postgres === 'none' ? undefined : o.postgres, seed: int('--seed', o.seed) };
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
}

function unitVector(rand: () => number, dims: number): Float32Array {
  const v = Float32Array.from({ length: dims }, () => gaussian(rand));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** Vectors of one kind: uniform random, or around one of 100 fixed centres (noise 0.06 a dimension). */
function vectorSource(kind: VectorKind, rand: () => number, dims: number): () => Float32Array {
  if (kind === 'random') return () => unitVector(rand, dims);
  const centres = Array.from({ length: 100 }, () => unitVector(rand, dims));
  return () => {
    const c = centres[Math.floor(rand() * centres.length)]!;
    const v = c.map((x) => x + 0.06 * gaussian(rand));
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
}

/** A Zipf-ish vocabulary of pronounceable words, so that lexical matches are neither all nor none. */
function vocabulary(rand: () => number, size: number): string[] {
  const syllables = 'ka lo mi ta ren sol vad pri nor ex hal bri cu dem for gal ish jun ker lum'.split(' ');
  return Array.from({ length: size }, () => Array.from({ length: 2 + Math.floor(rand() * 2) }, () => syllables[Math.floor(rand() * syllables.length)]).join(''));
}

/** MS MARCO-like passage lengths: log-normal words, median 50, mean ~55. */
function passage(rand: () => number, words: string[]): string {
  const n = Math.max(5, Math.round(Math.exp(Math.log(50) + 0.45 * gaussian(rand))));
  return Array.from({ length: n }, () => words[Math.min(words.length - 1, Math.floor(words.length * rand() ** 3))]).join(' ');
}

function overlap(a: readonly { id: string }[], b: readonly { id: string }[]): number {
  const truth = new Set(b.map((h) => h.id));
  return a.filter((h) => truth.has(h.id)).length / Math.max(1, b.length);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await fn();
  return [value, (performance.now() - started) / 1000];
}

async function benchStore(label: string, store: DocumentStore, opts: Options, kind: VectorKind): Promise<StoreResult> {
  const rand = seeded(opts.seed);
  const words = vocabulary(rand, 5000);
  const nextVector = vectorSource(kind, rand, opts.dims);
  const name = `bench-${Date.now().toString(36)}`;
  await store.createCollection({ name, dimensions: opts.dims });
  try {
    let writeSeconds = 0;
    for (let start = 0; start < opts.docs; start += UPSERT_CALL) {
      const docs: DocumentInput[] = [];
      for (let i = start; i < Math.min(opts.docs, start + UPSERT_CALL); i++) {
        const text = passage(rand, words);
        docs.push({ id: `doc-${i}`, text, metadata: { group: i % 5 }, chunks: [{ text, embedding: nextVector() }] });
      }
      // Generation is not timed; the index waits for the whole load (deferIndex), then buildIndex.
      writeSeconds += (await timed(() => store.upsert(name, docs, { deferIndex: true })))[1];
      if ((start / UPSERT_CALL) % 10 === 9) log(`${label}: ${start + docs.length} documents, ${((start + docs.length) / writeSeconds).toFixed(0)} docs/s`);
    }
    log(`${label} (${kind}): building the HNSW index`);
    const [, indexSeconds] = await timed(() => store.buildIndex(name));
    log(`${label}: index built in ${indexSeconds.toFixed(1)} s; searching`);
    const queries = Array.from({ length: opts.queries }, nextVector);
    const result: StoreResult = { store: label, vectors: kind, docs: opts.docs, writeSeconds, indexSeconds, exact: [], hnsw: [], recall: 0, filteredExact: [], filteredHnsw: [], filteredRecall: 0, filteredRows: 0, lexical: [] };
    const filter = { group: 2 };
    for (const q of queries) {
      const [truth, exactSeconds] = await timed(() => store.vectorSearch(name, q, K, { exact: true }));
      const [approx, hnswSeconds] = await timed(() => store.vectorSearch(name, q, K));
      const [fTruth, fExactSeconds] = await timed(() => store.vectorSearch(name, q, K, { exact: true, filter }));
      const [fApprox, fHnswSeconds] = await timed(() => store.vectorSearch(name, q, K, { filter }));
      result.exact.push(exactSeconds);
      result.hnsw.push(hnswSeconds);
      result.filteredExact.push(fExactSeconds);
      result.filteredHnsw.push(fHnswSeconds);
      result.recall += overlap(approx, truth) / queries.length;
      result.filteredRecall += overlap(fApprox, fTruth) / queries.length;
      result.filteredRows += fApprox.length / queries.length;
      result.lexical.push((await timed(() => store.lexicalSearch(name, passage(rand, words).split(' ').slice(0, 8).join(' '), K)))[1]);
    }
    return result;
  } finally {
    await store.dropCollection(name).catch(() => undefined);
  }
}

const ms = (xs: number[]): string => `${(percentile(xs, 50) * 1000).toFixed(1)} / ${(percentile(xs, 99) * 1000).toFixed(1)}`;

function table(results: StoreResult[]): string {
  const lines = [
    '| store | vectors | documents | write docs/s | HNSW build s | exact kNN p50 / p99 ms | HNSW kNN p50 / p99 ms | recall@100 | filtered (20%) exact p50 / p99 ms | filtered HNSW p50 / p99 ms | filtered recall@100 (rows) | lexical p50 / p99 ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.store} | ${r.vectors} | ${r.docs} | ${(r.docs / r.writeSeconds).toFixed(0)} | ${r.indexSeconds.toFixed(1)} | ${ms(r.exact)} | ${ms(r.hnsw)} | ${r.recall.toFixed(3)} | ${ms(r.filteredExact)} | ${ms(r.filteredHnsw)} | ${r.filteredRecall.toFixed(3)} (${r.filteredRows.toFixed(0)}) | ${ms(r.lexical)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const opts = parse(process.argv);
  const dist = path.resolve('dist/store/index.js');
  const { openStore } = (await import(pathToFileURL(dist).href)) as { openStore: typeof OpenStore };
  const settings = { timeoutMs: 600_000, poolSize: 2, schema: 'reranker' };
  const results: StoreResult[] = [];

  const dataDir = await mkdtemp(path.join(tmpdir(), 'store-bench-'));
  try {
    const pglite = (await openStore({ url: undefined, dataDir, ...settings }))!;
    try {
      for (const kind of opts.vectors) results.push(await benchStore('PGlite (worker, pglite-socket)', pglite, opts, kind));
    } finally {
      await pglite.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }

  if (opts.postgres !== undefined) {
    const postgres = await openStore({ url: opts.postgres, dataDir, ...settings }).catch((err: unknown) => {
      log(`Postgres skipped: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    if (postgres !== undefined) {
      try {
        await postgres.ping();
        for (const kind of opts.vectors) results.push(await benchStore('PostgreSQL + pgvector', postgres, opts, kind));
      } catch (err) {
        log(`Postgres skipped: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await postgres.close();
      }
    }
  }
  process.stdout.write(`Machine: ${describeMachine()}\n${opts.docs} documents of ${opts.dims}-d unit vectors, ${opts.queries} queries, k = ${K}; HNSW m 16, ef_construction 64, ef_search = 2k (the service's setting).\n\n${table(results)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
