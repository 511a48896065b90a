import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../cache/redis-support.js';
import { forgedModel } from '../support/forged-model.js';
import { PROMETHEUS_BINARY, PROMETHEUS_HINT, PrometheusChild, type PromSample } from '../support/prometheus.js';
import { forgedEmbedder } from '../support/test-app.js';

/**
 * Issue 12: a real Prometheus scrapes the service every second with docker/prometheus/prometheus.yml's
 * job, and every query of every panel of the Grafana dashboard, sent through Prometheus' HTTP API
 * as Grafana would send it, returns data after ordinary traffic.
 */

/**
 * Grafana's `$__rate_interval` is max(4 x the data source's scrape interval, the panel's step +
 * scrape interval); with Grafana's default scrape interval setting (15 s) that is 1m, so the test
 * queries what a default installation shows. At a 1 s scrape, 1m also spans the whole test: both
 * traffic rounds, and the scrapes before them where the series known in advance sit at 0.
 */
const RATE_INTERVAL = '1m';

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every PromQL expression of every panel (rows' panels included), with Grafana's range variable replaced. */
function dashboardQueries(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(new URL('../../docker/grafana/dashboards/reranker.json', import.meta.url), 'utf8')) as { panels: Panel[] };
  const walk = (panels: Panel[]): { panel: string; expr: string }[] =>
    panels.flatMap((p) => [
      ...(p.targets ?? []).flatMap((t) => (t.expr === undefined ? [] : [{ panel: p.title ?? '?', expr: t.expr.replaceAll('$__rate_interval', RATE_INTERVAL) }])),
      ...walk(p.panels ?? []),
    ]);
  return walk(dashboard.panels);
}

interface Call {
  /** The documented route, `method path` as in openapi.yaml. */
  route: string;
  /** The URL sent, when the route has path parameters. */
  url?: string;
  body?: (round: number) => unknown;
  status: number;
}

const query = 'what is the capital of france';
/** The shared documents are cache hits from the second call on; the round's own document is a miss, so every round runs the models too. */
const documents = (round: number): string[] => ['Paris is the capital of France.', 'Bananas are yellow.', `Round ${round}: the Eiffel Tower is in Paris.`];

/**
 * One line per route the service serves (a new route, such as POST /search or the collections
 * routes, is one more line; the test below fails until it has one). Together: rerank in every
 * shape, both embedding shapes, an error, and cache hits.
 */
const TRAFFIC: Call[] = [
  { route: 'post /rerank', body: (r) => ({ query, documents: documents(r) }), status: 200 },
  { route: 'post /rerank', body: (r) => ({ query, texts: documents(r) }), status: 200 },
  { route: 'post /v1/rerank', body: (r) => ({ model: 'rerank-english-v3.0', query, documents: documents(r) }), status: 200 },
  { route: 'post /v2/rerank', body: (r) => ({ model: 'rerank-v3.5', query, documents: documents(r), top_n: 2 }), status: 200 },
  { route: 'post /v2/rerank', body: () => ({ query: ' ', documents: ['a'] }), status: 400 },
  { route: 'post /v1/embeddings', body: (r) => ({ model: 'text-embedding-3-small', input: documents(r) }), status: 200 },
  { route: 'post /embed', body: (r) => ({ inputs: documents(r) }), status: 200 },
  { route: 'put /collections/{name}', url: '/collections/dashboard', body: () => ({}), status: 200 },
  { route: 'post /collections/{name}/documents', url: '/collections/dashboard/documents', body: (r) => ({ documents: documents(r).map((text, i) => ({ id: `d${i}`, text })) }), status: 200 },
  { route: 'get /collections', status: 200 },
  { route: 'get /collections/{name}', url: '/collections/dashboard', status: 200 },
  { route: 'get /collections/{name}/documents/{id}', url: '/collections/dashboard/documents/d0', status: 200 },
  { route: 'post /search', body: () => ({ collection: 'dashboard', query, top_n: 2 }), status: 200 },
  { route: 'get /collections/{name}/documents', url: '/collections/dashboard/documents?limit=2', status: 200 },
  { route: 'post /collections/{name}/documents/get', url: '/collections/dashboard/documents/get', body: () => ({ ids: ['d0', 'd1'] }), status: 200 },
  { route: 'post /collections/{name}/count', url: '/collections/dashboard/count', body: () => ({}), status: 200 },
  { route: 'patch /collections/{name}/documents/{id}', url: '/collections/dashboard/documents/d1', body: (r) => ({ metadata: { round: r } }), status: 200 },
  { route: 'post /collections/{name}/documents/delete', url: '/collections/dashboard/documents/delete', body: () => ({ filter: { round: -1 } }), status: 200 },
  { route: 'post /tokenize', body: (r) => ({ inputs: documents(r) }), status: 200 },
  { route: 'get /collections/{name}/export', url: '/collections/dashboard/export', status: 200 },
  // A snapshot is NDJSON; this client sends JSON, which the route refuses with a 400 that names the type.
  { route: 'post /collections/{name}/import', url: '/collections/dashboard-copy/import', body: () => ({}), status: 400 },
  { route: 'delete /collections/{name}/documents', url: '/collections/dashboard/documents', body: () => ({ ids: ['d2'] }), status: 200 },
  { route: 'delete /collections/{name}', url: '/collections/dashboard', status: 200 },
  { route: 'get /health', status: 200 },
  { route: 'get /info', status: 200 },
  { route: 'get /v1/models', status: 200 },
  { route: 'get /metrics', status: 200 },
];

let server: RunningServer;
const prometheus = new PrometheusChild();
const dataDir = mkdtempSync(join(tmpdir(), 'reranker-prometheus-data-'));
const redisPrefix = uniquePrefix('prometheus');

async function send(call: Call, round: number): Promise<void> {
  const [method = '', path = ''] = call.route.split(' ');
  const body = call.body?.(round);
  const res = await fetch(`${server.url}${call.url ?? path}`, {
    method: method.toUpperCase(),
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  await res.arrayBuffer();
  expect(res.status, `${call.route} in round ${round}`).toBe(call.status);
}

if (PROMETHEUS_BINARY === undefined) console.warn(PROMETHEUS_HINT);

describe.skipIf(PROMETHEUS_BINARY === undefined)('the Grafana dashboard on a real Prometheus', () => {
  beforeAll(async () => {
    const config = buildConfig({
      model: await forgedModel(),
      embeddingModel: await forgedEmbedder(),
      host: '127.0.0.1',
      port: '0',
      workers: '1',
      // Both cache tiers, so the tier panels have every tier a deployment can have.
      redisUrl: SHARED_REDIS_URL,
      redisKeyPrefix: redisPrefix,
      dataDir,
    });
    server = await startServer(config, { logger: pino({ level: 'silent' }) });
    await server.ready;
    await prometheus.start(new URL(server.url).host);
    // Samples at 0 before any traffic, so rate() sees the first requests of the series known in advance.
    await prometheus.scrapes(2);
  });
  afterAll(async () => {
    await prometheus.close();
    await server?.close();
    await deletePrefix(SHARED_REDIS_URL, redisPrefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the traffic covers every documented route', () => {
    const documented = Object.entries((server.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths).flatMap(([url, ops]) =>
      Object.keys(ops).map((method) => `${method} ${url}`),
    );
    expect(documented.length).toBeGreaterThan(5);
    expect(documented.filter((route) => !TRAFFIC.some((c) => c.route === route))).toEqual([]);
  });

  it('every query of every panel returns data once traffic was scraped', async () => {
    // Two rounds, each scraped twice: series born in the first round have grown by the second.
    for (const round of [1, 2]) {
      for (const call of TRAFFIC) await send(call, round);
      await prometheus.scrapes(2);
    }
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThanOrEqual(25);
    const results = await Promise.all(queries.map(async (q) => ({ ...q, samples: await prometheus.query(q.expr) })));
    const show = (samples: PromSample[]): string => samples.map((s) => `${JSON.stringify(s.metric)}=${s.value}`).join(', ');
    // A Grafana variable other than the range would reach Prometheus as a syntax error; none is used.
    expect(queries.filter((q) => q.expr.includes('$'))).toEqual([]);
    expect(results.filter((r) => r.samples.length === 0).map((r) => `${r.panel}: ${r.expr}`), 'queries with no data').toEqual([]);
    // NaN is data to Prometheus but a gap in a panel: each query needs one real number.
    expect(results.filter((r) => !r.samples.some((s) => Number.isFinite(s.value))).map((r) => `${r.panel}: ${r.expr} -> ${show(r.samples)}`), 'queries with only NaN').toEqual([]);
  });
});
