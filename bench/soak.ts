import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../src/tools/forge/prng.js';
import { generateWorkload, wordsFromTokenizerJson } from '../src/tools/quantize/synthetic-workload.js';
import { sampleWith, sumSamples } from './prometheus-text.js';
import { startService, type ServiceUnderTest } from './service-contender.js';
import { percentile } from './stats.js';

/**
 * Issue 23: a soak. Mixed traffic (rerank, embeddings, search, upserts, deletes; cache hits and
 * misses) from closed-loop clients against one served process for a set time; every minute the
 * process's RSS, its heap, the event loop's delay, the store's connections, and per route the
 * requests, statuses and latencies of that minute. The question it answers: does memory settle, and
 * does anything fail, over thousands of requests.
 */

export interface SoakOptions {
  rerankerDir: string;
  embedderDir: string;
  minutes: number;
  clients: number;
  /** Postgres for the store; undefined: the embedded PGlite store in a temp directory. */
  postgresUrl: string | undefined;
  seed: number;
  /** The service's --cache-max-bytes, in MiB (0: no cache). */
  cacheMb: number;
  log: (msg: string) => void;
}

const ROUTES = ['rerank', 'embeddings', 'search', 'upsert', 'delete'] as const;
type Route = (typeof ROUTES)[number];
/** Shares of the traffic, in this order. */
const WEIGHTS: Record<Route, number> = { rerank: 0.35, embeddings: 0.2, search: 0.25, upsert: 0.12, delete: 0.08 };
/** Ids upserts and deletes cycle through: the collection stays about this size. */
const ID_RANGE = 3000;
const SEED_DOCS = 1000;

export interface SoakMinute {
  minute: number;
  requests: number;
  statuses: Record<string, number>;
  latency: Partial<Record<Route, { n: number; p50: number; p99: number }>>;
  rssMb: number;
  heapUsedMb: number;
  /** Buffers and array buffers outside the V8 heap (the main thread's). */
  externalMb: number;
  /** What the in-process cache tier holds (its own estimate, bounded by --cache-max-bytes). */
  cacheMb: number;
  eventLoopP99Ms: number;
  connections: { total: number; idle: number; waiting: number };
  /** Backends the Postgres server shows for the service (application_name reranker); undefined on PGlite. */
  serverBackends: number | undefined;
}

export interface SoakReport {
  store: 'pglite' | 'postgres';
  clients: number;
  minutes: SoakMinute[];
  /** The process right after start-up and warm-up, before the first request of the soak. */
  startRssMb: number;
  /** Least-squares slope of RSS against requests over the minutes after warm-up, per 10,000 requests, as % of the mean RSS then. */
  growthPer10kPercent: number;
  warmupMinutes: number;
  cacheMb: number;
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

/** Least-squares slope of y on x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function postgresBackends(url: string): Promise<number> {
  const pg = (await import('pg')).default;
  const c = new pg.Client(url);
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'reranker'`);
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const rand = mulberry32(o.seed);
  const words = wordsFromTokenizerJson(JSON.parse(readFileSync(path.join(o.rerankerDir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>);
  const pool = generateWorkload(words, { queries: 200, docsPerQuery: 20, seed: o.seed });
  const queries = pool.map((q) => q.query);
  const texts = pool.flatMap((q) => q.documents);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  let unique = 0;
  /** A text no request has sent before: a cache miss. */
  const fresh = (): string => `${pick(texts)} ${words[unique % words.length]} n${(unique++).toString(36)}`;
  const route = (): Route => {
    let r = rand();
    for (const name of ROUTES) if ((r -= WEIGHTS[name]) < 0) return name;
    return 'rerank';
  };

  const dataDir = await mkdtemp(path.join(tmpdir(), 'bench-soak-'));
  const storeArgs = o.postgresUrl === undefined ? ['--data-dir', dataDir] : ['--store', o.postgresUrl];
  const service: ServiceUnderTest = await startService(o.rerankerDir, 'onnx/model.onnx', [...storeArgs, '--cache-max-bytes', String(o.cacheMb * 2 ** 20)], { dir: o.embedderDir });
  const collection = `soak-${Date.now().toString(36)}`;
  const send = async (method: string, route: string, body?: unknown): Promise<number> => {
    const res = await fetch(`${service.url}${route}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body) });
    await res.arrayBuffer();
    return res.status;
  };
  try {
    if ((await send('PUT', `/collections/${collection}`)) !== 200) throw new Error('could not create the soak collection');
    for (let i = 0; i < SEED_DOCS; i += 100) {
      const status = await send('POST', `/collections/${collection}/documents`, { documents: Array.from({ length: 100 }, (_, j) => ({ id: `s${i + j}`, text: pick(texts) })) });
      if (status !== 200) throw new Error(`seeding the collection answered ${status}`);
    }
    const startRssMb = rssMb(service.child.pid);
    o.log(`soak: ${o.clients} clients for ${o.minutes} min on ${o.postgresUrl === undefined ? 'PGlite' : 'Postgres'}; RSS after start and seeding ${startRssMb.toFixed(0)} MB`);

    /** One request of a route; statuses and latency go into the current minute. */
    const requests: Record<Route, () => Promise<number>> = {
      // Half the reranks repeat one of 20 fixed requests (pair-cache hits), half send new documents (misses).
      rerank: () => {
        const q = pool[Math.floor(rand() * 40)] as (typeof pool)[number];
        const documents = rand() < 0.5 && pool.indexOf(q) < 20 ? q.documents : q.documents.map((d, i) => (i % 2 === 0 ? fresh() : d));
        return send('POST', '/v2/rerank', { query: q.query, documents, top_n: 5 });
      },
      embeddings: () => send('POST', '/v1/embeddings', { input: Array.from({ length: 8 }, (_, i) => (i < 4 ? (texts[Math.floor(rand() * 50)] as string) : fresh())) }),
      search: () => send('POST', '/search', { collection, query: pick(queries), mode: 'hybrid', candidates: 20, top_n: 5 }),
      upsert: () => send('POST', `/collections/${collection}/documents`, { documents: Array.from({ length: 4 }, () => ({ id: `d${Math.floor(rand() * ID_RANGE)}`, text: fresh(), metadata: { n: unique } })) }),
      delete: () => send('DELETE', `/collections/${collection}/documents`, { ids: Array.from({ length: 4 }, () => `d${Math.floor(rand() * ID_RANGE)}`) }),
    };

    interface Bucket {
      statuses: Record<string, number>;
      latencies: Map<Route, number[]>;
      requests: number;
    }
    const emptyBucket = (): Bucket => ({ statuses: {}, latencies: new Map(), requests: 0 });
    let bucket = emptyBucket();
    const minutes: SoakMinute[] = [];
    const endAt = performance.now() + o.minutes * 60_000;
    let stopped = false;
    const sample = async (): Promise<void> => {
      const done = bucket;
      bucket = emptyBucket();
      const text = await (await fetch(`${service.url}/metrics`)).text();
      const sums = sumSamples(text);
      const latency: SoakMinute['latency'] = {};
      for (const [r, xs] of done.latencies) latency[r] = { n: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99) };
      const minute: SoakMinute = {
        minute: minutes.length + 1,
        requests: done.requests,
        statuses: done.statuses,
        latency,
        rssMb: rssMb(service.child.pid),
        heapUsedMb: (sums.get('reranker_nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20,
        externalMb: (sums.get('reranker_nodejs_external_memory_bytes') ?? NaN) / 2 ** 20,
        cacheMb: (sums.get('reranker_cache_memory_bytes') ?? NaN) / 2 ** 20,
        eventLoopP99Ms: (sums.get('reranker_nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000,
        connections: { total: sampleWith(text, 'reranker_store_connections', { state: 'total' }), idle: sampleWith(text, 'reranker_store_connections', { state: 'idle' }), waiting: sampleWith(text, 'reranker_store_connections', { state: 'waiting' }) },
        serverBackends: o.postgresUrl === undefined ? undefined : await postgresBackends(o.postgresUrl),
      };
      minutes.push(minute);
      const statuses = Object.entries(minute.statuses).map(([s, n]) => `${s}:${n}`).join(' ');
      o.log(`soak minute ${minute.minute}: ${minute.requests} requests (${statuses}), RSS ${minute.rssMb.toFixed(0)} MB, heap ${minute.heapUsedMb.toFixed(0)} MB, external ${minute.externalMb.toFixed(0)} MB, cache ${minute.cacheMb.toFixed(1)} MB, loop p99 ${minute.eventLoopP99Ms.toFixed(1)} ms, store connections ${minute.connections.total}`);
    };
    const ticker = (async () => {
      while (!stopped) {
        await new Promise((r) => setTimeout(r, Math.min(60_000, Math.max(0, endAt - performance.now()))));
        // A remainder under a second is the last minute's, not a minute of its own.
        if (endAt - performance.now() < 1000) stopped = true;
        await sample();
      }
    })();
    await Promise.all(
      Array.from({ length: o.clients }, async () => {
        while (!stopped) {
          const r = route();
          const started = performance.now();
          let status: number;
          try {
            status = await requests[r]();
          } catch {
            status = 0;
          }
          const list = bucket.latencies.get(r) ?? [];
          list.push((performance.now() - started) / 1000);
          bucket.latencies.set(r, list);
          bucket.statuses[String(status)] = (bucket.statuses[String(status)] ?? 0) + 1;
          bucket.requests++;
        }
      }),
    );
    await ticker;

    // Warm-up ends after 5 minutes and once the bounded cache is full: until then it grows by design
    // (its fill is the cache MB column), and a slope over it would not say whether anything leaks.
    const budget = o.cacheMb;
    const filled = budget === 0 ? 0 : minutes.findIndex((m) => m.cacheMb >= 0.95 * budget) + 1;
    const warmupMinutes = Math.min(Math.max(5, filled === 0 ? minutes.length : filled), Math.max(0, minutes.length - 5));
    const after = minutes.slice(warmupMinutes);
    let cumulative = minutes.slice(0, warmupMinutes).reduce((a, m) => a + m.requests, 0);
    const xs = after.map((m) => (cumulative += m.requests));
    const ys = after.map((m) => m.rssMb);
    const meanRss = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
    const growthPer10kPercent = after.length < 2 ? NaN : ((slope(xs, ys) * 10_000) / meanRss) * 100;
    return { store: o.postgresUrl === undefined ? 'pglite' : 'postgres', clients: o.clients, minutes, startRssMb, growthPer10kPercent, warmupMinutes, cacheMb: o.cacheMb };
  } finally {
    if (o.postgresUrl !== undefined) await send('DELETE', `/collections/${collection}`).catch(() => undefined);
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function renderSoak(r: SoakReport): string[] {
  const total = (pred: (status: string) => boolean): number => r.minutes.reduce((a, m) => a + Object.entries(m.statuses).filter(([s]) => pred(s)).reduce((x, [, n]) => x + n, 0), 0);
  const requests = r.minutes.reduce((a, m) => a + m.requests, 0);
  const ms = (s: number | undefined): string => (s === undefined ? '-' : (s * 1000).toFixed(0));
  const lines = [
    `### Soak: ${r.minutes.length} minutes of mixed traffic on ${r.store === 'pglite' ? 'the embedded store (PGlite)' : 'Postgres'}`,
    '',
    `${r.clients} closed-loop clients, no pause between requests (the CPU is saturated throughout): rerank 35% (half repeat one of 20 requests, pair-cache hits; half carry new documents), embeddings 20% (8 texts, half repeated), search 25% (hybrid, 20 candidates reranked), upserts 12% (4 documents embedded by the service, ids cycling through ${ID_RANGE}), deletes 8% (4 ids). Collection seeded with ${SEED_DOCS} documents.`,
    '',
    `- Requests: ${requests} (${(requests / (r.minutes.length * 60)).toFixed(1)}/s); by status: ${['200', '4', '5', '0'].map((p) => `${p === '4' ? '4xx' : p === '5' ? '5xx' : p === '0' ? 'network errors' : p} ${total((s) => (p.length === 1 ? s.startsWith(p) && (p !== '0' || s === '0') : s === p))}`).join(', ')}.`,
    `- RSS: ${r.startRssMb.toFixed(0)} MB after start and seeding; ${r.minutes[0]?.rssMb.toFixed(0)} MB after minute 1, ${r.minutes[r.warmupMinutes - 1]?.rssMb.toFixed(0) ?? '-'} MB after the ${r.warmupMinutes}-minute warm-up, ${r.minutes.at(-1)?.rssMb.toFixed(0)} MB at the end (max ${Math.max(...r.minutes.map((m) => m.rssMb)).toFixed(0)} MB).`,
    `- **RSS growth after warm-up: ${r.growthPer10kPercent.toFixed(2)}% per 10,000 requests** (least-squares slope of RSS over cumulative requests, minutes ${r.warmupMinutes + 1}-${r.minutes.length}; warm-up: 5 minutes and until the ${r.cacheMb} MiB cache is 95% full${(r.minutes[r.warmupMinutes - 1]?.cacheMb ?? 0) < 0.95 * r.cacheMb ? ', which it was not: the slope includes its filling' : ''}).`,
    '',
    `| minute | requests | 5xx | RSS MB | heap MB | external MB | cache MB | loop p99 ms | store conns (idle/waiting)${r.store === 'postgres' ? ' | server backends' : ''} | ${ROUTES.map((x) => `${x} p50/p99 ms`).join(' | ')} |`,
    `|---|---|---|---|---|---|---|---|---${r.store === 'postgres' ? '|---' : ''}|${ROUTES.map(() => '---').join('|')}|`,
  ];
  for (const m of r.minutes) {
    const fives = Object.entries(m.statuses).filter(([s]) => s.startsWith('5') || s === '0').reduce((a, [, n]) => a + n, 0);
    const routes = ROUTES.map((x) => `${ms(m.latency[x]?.p50)}/${ms(m.latency[x]?.p99)}`).join(' | ');
    lines.push(`| ${m.minute} | ${m.requests} | ${fives} | ${m.rssMb.toFixed(0)} | ${m.heapUsedMb.toFixed(0)} | ${m.externalMb.toFixed(0)} | ${m.cacheMb.toFixed(1)} | ${m.eventLoopP99Ms.toFixed(1)} | ${m.connections.total} (${m.connections.idle}/${m.connections.waiting})${r.store === 'postgres' ? ` | ${m.serverBackends}` : ''} | ${routes} |`);
  }
  return lines;
}
