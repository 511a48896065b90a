import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import type { RunningServer } from '../../src/server.js';
import { VERSION } from '../../src/version.js';
import { families, sample } from './metrics-text.js';
import { loopbackServer } from '../helpers/loopback-server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await loopbackServer({ workers: '1', servedModelName: 'forged-tiny' });
});
afterAll(async () => server.close());

const scrape = async (): Promise<string> => {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(`${server.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('GET /metrics', () => {
  it('exposes every metric declared in src/metrics.ts, default Node metrics included', async () => {
    const declared = (await new Metrics().registry.getMetricsAsJSON()).map((m) => m.name);
    expect(declared.length).toBeGreaterThan(15);
    expect([...families(await scrape())]).toEqual(expect.arrayContaining(declared));
  });

  it('labels request durations by route pattern and status, counts errors by code, and names the model', async () => {
    expect((await post('/v2/rerank', { query: 'q', documents: ['a', 'b'] })).status).toBe(200);
    expect((await post('/v2/rerank', { query: ' ', documents: ['a'] })).status).toBe(400);
    expect((await fetch(`${server.url}/no/such/route/42`)).status).toBe(404);
    const text = await scrape();
    expect(sample(text, 'reranker_http_request_duration_seconds_count', { route: '/v2/rerank', method: 'POST', status: '200' })).toBe(1);
    expect(sample(text, 'reranker_http_request_duration_seconds_count', { route: '/v2/rerank', method: 'POST', status: '400' })).toBe(1);
    expect(sample(text, 'reranker_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain('/no/such/route');
    expect(sample(text, 'reranker_errors_total', { code: 'EMPTY_QUERY' })).toBe(1);
    expect(sample(text, 'reranker_errors_total', { code: 'NOT_FOUND' })).toBe(1);
    // Only the scrape itself is in flight.
    expect(sample(text, 'reranker_requests_in_flight')).toBe(1);
    expect(sample(text, 'reranker_model_info', { model: 'forged-tiny', onnx_file: 'model.onnx', version: VERSION })).toBe(1);
    expect(sample(text, 'reranker_stage_duration_seconds_count', { stage: 'tokenize' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'reranker_stage_duration_seconds_count', { stage: 'cache_lookup' })).toBeGreaterThanOrEqual(1);
  });
});

describe('the Grafana dashboard', () => {
  it('uses only metrics the service exports', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../docker/grafana/dashboards/reranker.json', import.meta.url), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exported = families(await scrape());
    const used = new Set(
      dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\breranker_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')))),
    );
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    for (const wanted of ['Throughput', 'Latency by stage', 'Request latency', 'Queue depth', 'Cache hit rate', 'Errors by code', 'Rejections', 'Event-loop lag', 'Batch size', 'Padding ratio']) {
      expect(dashboard.panels.map((p) => p.title).some((t) => t.startsWith(wanted))).toBe(true);
    }
  });
});
