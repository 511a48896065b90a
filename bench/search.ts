import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildConfig } from '../src/config.js';
import { loadEmbedder } from '../src/models/kinds/embedder.js';
import { openStore } from '../src/store/index.js';
import { generateWorkload, wordsFromTokenizerJson } from '../src/tools/quantize/synthetic-workload.js';
import { sampleWith } from './prometheus-text.js';
import { startService, type ServiceUnderTest } from './service-contender.js';
import { percentile } from './stats.js';

export interface SearchBenchOptions {
  rerankerDir: string;
  embedderDir: string;
  docs: number;
  queries: number;
  seed: number;
  /** postgres:// of a server with pgvector, or undefined to bench the embedded store only. */
  postgresUrl: string | undefined;
  log: (msg: string) => void;
}

export interface StoreRun {
  store: 'pglite' | 'postgres';
  /** The documents arrived with the vectors an earlier store's run computed: the ingest only wrote. */
  readyVectors: boolean;
  ingestSeconds: number;
  embedSeconds: number;
  writeSeconds: number;
  /** Building the HNSW index once after the bulk load (part of ingestSeconds). */
  indexSeconds: number;
  search: { concurrency: number; latencies: number[]; stages: Record<string, number> }[];
  rerank: number[];
  repeat: { first: number; second: number; cachedPairs: number; embeddingTokens: number };
  knn: { exact: number[]; hnsw: number[]; recall: number; filteredHnsw: number[]; filteredRecall: number };
}

export interface SearchReport {
  docs: number;
  queries: number;
  meanWords: number;
  runs: StoreRun[];
}

const NO_STORE = { 'cache-control': 'no-store' };
const collection = `bench-${Date.now().toString(36)}`;

/** The fields of the service's answers this bench reads. */
interface Answer {
  results: unknown[];
  usage: { cached_pairs: number; embedding_tokens: number };
  data: { embedding: number[] }[];
}

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ json: Answer; timing: string | null }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return { json: JSON.parse(text) as Answer, timing: res.headers.get('server-timing') };
}

/** `name;dur=1.2, other;dur=3` as seconds per stage. */
function stagesOf(header: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (header ?? '').split(',')) {
    const m = /^\s*(\w+);dur=([\d.]+)/.exec(part);
    if (m) out[m[1] as string] = Number(m[2]) / 1000;
  }
  return out;
}

async function drive<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < items.length; i = next++) await run(items[i] as T);
  }));
}

async function stageSeconds(service: ServiceUnderTest, stage: string, model: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return sampleWith(text, 'reranker_stage_duration_seconds_sum', { stage, model });
}

type BenchDoc = { id: string; text: string; metadata: { group: number }; vector?: number[] };

/**
 * The documents as one NDJSON body, produced as the service reads it (with ready vectors it is
 * ~0.8 GB, past a string's limit), over node:http: fetch gives up on a response that takes over
 * 300 s to start, and the service answers only after building the HNSW index of 100,000 rows.
 */
async function postNdjson(url: string, route: string, docs: readonly BenchDoc[]): Promise<void> {
  function* lines(): Generator<string> {
    for (let i = 0; i < docs.length; i += 256) yield docs.slice(i, i + 256).map((d) => `${JSON.stringify(d)}\n`).join('');
  }
  await streamNdjson(url, route, lines());
}

/** POSTs `parts` (NDJSON text) as one body, produced as the service reads it; throws unless 200. */
export async function streamNdjson(url: string, route: string, parts: Iterable<string>): Promise<void> {
  const status = await new Promise<{ code: number; text: string }>((resolve, reject) => {
    const req = http.request(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    pipeline(Readable.from(parts), req).catch(reject);
  });
  if (status.code !== 200) throw new Error(`ingest answered ${status.code}: ${status.text.slice(0, 300)}`);
}

/**
 * One store: ingest the generated collection through the service (NDJSON, the service embeds and
 * writes in committed batches), then /search at concurrency 1 and 8 with 100 candidates, the same
 * candidates sent to /rerank, a repeated search, and the store's own kNN, exact against HNSW.
 * With `keepVectors` it also reads every stored vector back, so that the next store's ingest can
 * send them ready instead of embedding the same 100,000 texts a second time.
 */
async function benchStore(store: 'pglite' | 'postgres', o: SearchBenchOptions, docs: BenchDoc[], queries: string[], keepVectors: boolean): Promise<{ run: StoreRun; vectors?: Map<string, number[]> }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bench-search-'));
  const storeArgs = store === 'postgres' ? ['--store', o.postgresUrl as string] : ['--data-dir', dataDir];
  // Pair and query caching are on as in production; measured requests say Cache-Control: no-store.
  // The whole collection goes in as one NDJSON body, read at the pace rows are embedded and committed:
  // minutes, past the default --request-body-timeout-ms of 30 s, hence no limit for this bulk load.
  const service = await startService(o.rerankerDir, 'onnx/model.onnx', [...storeArgs, '--cache-max-bytes', String(256 * 2 ** 20), '--request-body-timeout-ms', '0'], { dir: o.embedderDir });
  try {
    await fetch(`${service.url}/collections/${collection}`, { method: 'PUT' });
    const readyVectors = docs[0]?.vector !== undefined;
    o.log(`${store}: ingesting ${docs.length} documents${readyVectors ? ' with ready vectors' : ''}`);
    const started = performance.now();
    await postNdjson(service.url, `/collections/${collection}/documents`, docs);
    const ingestSeconds = (performance.now() - started) / 1000;
    const embedSeconds = await stageSeconds(service, 'embed', 'embedder');
    const writeSeconds = await stageSeconds(service, 'write', 'none');
    const indexSeconds = await stageSeconds(service, 'index', 'none');
    o.log(`${store}: ${(docs.length / ingestSeconds).toFixed(0)} documents/s (embed ${embedSeconds.toFixed(0)} s, write ${writeSeconds.toFixed(0)} s, HNSW index ${indexSeconds.toFixed(0)} s)`);

    const search: StoreRun['search'] = [];
    for (const concurrency of [1, 8]) {
      const latencies: number[] = [];
      const stages: Record<string, number> = {};
      await drive(queries, concurrency, async (query) => {
        const t0 = performance.now();
        const out = await post(service.url, '/search', { collection, query, candidates: 100, top_n: 10 }, NO_STORE);
        latencies.push((performance.now() - t0) / 1000);
        for (const [k, v] of Object.entries(stagesOf(out.timing))) stages[k] = (stages[k] ?? 0) + v / queries.length;
      });
      search.push({ concurrency, latencies, stages });
      o.log(`${store}: /search c${concurrency} p50 ${(percentile(latencies, 50) * 1000).toFixed(0)} ms`);
    }
    // The same 100 candidates straight to /rerank, one query at a time like /search at concurrency 1.
    const rerank: number[] = [];
    for (const query of queries) {
      const first = await post(service.url, '/search', { collection, query, candidates: 100, top_n: 100, rerank: false }, NO_STORE);
      const texts = (first.json.results as { document: { text: string } }[]).map((r) => r.document.text);
      const t0 = performance.now();
      await post(service.url, '/v2/rerank', { query, documents: texts }, NO_STORE);
      rerank.push((performance.now() - t0) / 1000);
    }
    const query = queries[0] as string;
    const t1 = performance.now();
    await post(service.url, '/search', { collection, query, candidates: 100, top_n: 10 });
    const first = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    const again = await post(service.url, '/search', { collection, query, candidates: 100, top_n: 10 });
    const repeat = { first, second: (performance.now() - t2) / 1000, cachedPairs: again.json.usage.cached_pairs, embeddingTokens: again.json.usage.embedding_tokens };
    const vectors = (await post(service.url, '/v1/embeddings', { input: queries.slice(0, 50) }, NO_STORE)).json.data.map((d: { embedding: number[] }) => Float32Array.from(d.embedding));
    await service.stop();
    const measured = await knn(store, o, dataDir, vectors, keepVectors ? docs.map((d) => d.id) : []);
    const run = { store, readyVectors, ingestSeconds, embedSeconds, writeSeconds, indexSeconds, search, rerank, repeat, knn: measured.knn };
    return { run, ...(keepVectors ? { vectors: measured.stored } : {}) };
  } finally {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The store's own kNN for 100 neighbours: exact scan against the HNSW index, unfiltered and with a 20% filter. */
async function knn(store: 'pglite' | 'postgres', o: SearchBenchOptions, dataDir: string, vectors: Float32Array[], readBack: string[]): Promise<{ knn: StoreRun['knn']; stored: Map<string, number[]> }> {
  const config = buildConfig({ model: o.rerankerDir, store: store === 'postgres' ? o.postgresUrl : '', dataDir });
  const s = await openStore(config.store);
  if (s === undefined) throw new Error('no store');
  try {
    const exact: number[] = [];
    const hnsw: number[] = [];
    const filteredHnsw: number[] = [];
    let hits = 0;
    let filteredHits = 0;
    const filter = { group: 0 };
    for (const v of vectors) {
      let t = performance.now();
      const truth = new Set((await s.vectorSearch(collection, v, 100, { exact: true })).map((h) => h.id));
      exact.push((performance.now() - t) / 1000);
      t = performance.now();
      const approx = await s.vectorSearch(collection, v, 100);
      hnsw.push((performance.now() - t) / 1000);
      hits += approx.filter((h) => truth.has(h.id)).length / 100;
      const filteredTruth = new Set((await s.vectorSearch(collection, v, 100, { exact: true, filter })).map((h) => h.id));
      t = performance.now();
      const filtered = await s.vectorSearch(collection, v, 100, { filter });
      filteredHnsw.push((performance.now() - t) / 1000);
      filteredHits += filtered.filter((h) => filteredTruth.has(h.id)).length / Math.max(1, filteredTruth.size);
    }
    const stored = new Map<string, number[]>();
    for (const id of readBack) {
      const embedding = (await s.getDocument(collection, id, { vectors: true }))?.chunks?.[0]?.embedding;
      if (embedding === undefined) throw new Error(`document ${id} has no stored vector`);
      stored.set(id, Array.from(embedding));
    }
    if (store === 'postgres') await s.dropCollection(collection);
    return { knn: { exact, hnsw, recall: hits / vectors.length, filteredHnsw, filteredRecall: filteredHits / vectors.length }, stored };
  } finally {
    await s.close();
  }
}

export async function runSearchBench(o: SearchBenchOptions): Promise<SearchReport> {
  const spec = loadEmbedder(o.embedderDir, {});
  const words = wordsFromTokenizerJson(spec.folder.tokenizerJson);
  // MS MARCO-like passages (log-normal around 55 words) and question-like queries of 3 to 12 words.
  const items = generateWorkload(words, { queries: Math.ceil(o.docs / 100) + o.queries, docsPerQuery: 100, seed: o.seed });
  const docs = items.flatMap((i) => i.documents).slice(0, o.docs).map((text, i) => ({ id: `d${i}`, text, metadata: { group: i % 5 } }));
  const queries = items.slice(-o.queries).map((i) => i.query);
  const meanWords = docs.reduce((a, d) => a + d.text.split(' ').length, 0) / docs.length;
  const runs: StoreRun[] = [];
  const withPostgres = o.postgresUrl !== undefined;
  const embedded = await benchStore('pglite', o, docs, queries, withPostgres);
  runs.push(embedded.run);
  if (withPostgres) {
    const vectors = embedded.vectors as Map<string, number[]>;
    runs.push((await benchStore('postgres', o, docs.map((d) => ({ ...d, vector: vectors.get(d.id) as number[] })), queries, false)).run);
  }
  return { docs: docs.length, queries: queries.length, meanWords, runs };
}

const ms = (s: number): string => (s * 1000).toFixed(0);

export function renderSearch(r: SearchReport): string[] {
  const lines = ['', `#### Search (${r.docs} generated documents, ${r.meanWords.toFixed(0)} words on average; ${r.queries} queries; candidates 100, top_n 10)`, ''];
  lines.push('| store | ingest documents/s (whole load) | embedding s | writing s | HNSW index build s |', '| --- | --- | --- | --- | --- |');
  for (const run of r.runs) {
    const name = run.readyVectors ? `${run.store} (ready vectors from the run above: no embedding)` : run.store;
    lines.push(`| ${name} | ${(r.docs / run.ingestSeconds).toFixed(0)} | ${run.embedSeconds.toFixed(0)} | ${run.writeSeconds.toFixed(0)} | ${run.indexSeconds.toFixed(0)} |`);
  }
  lines.push('', '| store | concurrency | /search p50 / p99 ms | /rerank on the same 100 candidates p50 ms | /search p50 / /rerank p50 | stages (mean ms) |', '| --- | --- | --- | --- | --- | --- |');
  for (const run of r.runs) {
    for (const s of run.search) {
      const stages = Object.entries(s.stages).map(([k, v]) => `${k} ${ms(v)}`).join(', ');
      const ratio = percentile(s.latencies, 50) / percentile(run.rerank, 50);
      lines.push(`| ${run.store} | ${s.concurrency} | ${ms(percentile(s.latencies, 50))} / ${ms(percentile(s.latencies, 99))} | ${ms(percentile(run.rerank, 50))} | ${s.concurrency === 1 ? `**${ratio.toFixed(2)}x**` : 'n/a'} | ${stages} |`);
    }
  }
  lines.push('', '| store | exact kNN p50 / p99 ms | HNSW kNN p50 / p99 ms | HNSW recall@100 | HNSW with a 20% filter p50 / p99 ms | recall@100 there |', '| --- | --- | --- | --- | --- | --- |');
  for (const run of r.runs) {
    const k = run.knn;
    lines.push(`| ${run.store} | ${ms(percentile(k.exact, 50))} / ${ms(percentile(k.exact, 99))} | ${ms(percentile(k.hnsw, 50))} / ${ms(percentile(k.hnsw, 99))} | ${k.recall.toFixed(3)} | ${ms(percentile(k.filteredHnsw, 50))} / ${ms(percentile(k.filteredHnsw, 99))} | ${k.filteredRecall.toFixed(3)} |`);
  }
  lines.push('');
  for (const run of r.runs) {
    lines.push(`${run.store}, the same search twice with the cache on: ${ms(run.repeat.first)} ms, then ${ms(run.repeat.second)} ms (${run.repeat.cachedPairs} cached pairs, ${run.repeat.embeddingTokens} embedding tokens).`);
  }
  return lines;
}

/**
 * Whether the service's own store opens at the URL (Postgres with pgvector, the extension created or
 * creatable): the search section then benches it too.
 */
export async function postgresAnswers(url: string): Promise<boolean> {
  const store = await openStore({ url, dataDir: 'unused', timeoutMs: 5000, poolSize: 1, schema: 'reranker' }).catch(() => undefined);
  if (store === undefined) return false;
  try {
    await store.ping();
    return true;
  } catch {
    return false;
  } finally {
    await store.close();
  }
}
