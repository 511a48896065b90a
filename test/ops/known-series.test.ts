import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { scoreCodec, vectorCodec } from '../../src/cache/index.js';
import { abortReason } from '../../src/engine/abort-reason.js';
import { STATUS_BY_CODE } from '../../src/errors.js';
import { AUTH_FAILURE_REASONS, CACHE_ERROR_REASONS, CACHE_KIND_BY_MODEL, Metrics, REJECTION_REASONS, WORKER_RESTART_REASONS, type RejectionReason } from '../../src/metrics.js';
import { sample } from '../http/metrics-text.js';
import { forgedEmbedder, testApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 12: counters whose label values are known in advance are exported at 0 from the start
 * (Prometheus' instrumentation guide), so the dashboard's rate() and increase() panels show 0, not
 * "No data", and see the first event. The counters are typed by the lists in src/metrics.ts
 * (issue 19: types, not regexes over the source), so a new reason cannot be added in one place only.
 */

describe('the label values src/metrics.ts exports at 0', () => {
  it('the counters take only the declared values (checked by tsc in npm test)', () => {
    const metrics = new Metrics(undefined, { defaultMetrics: false });
    // Each line would compile if a counter took any string: `npm run typecheck` fails on an unused expectation.
    // @ts-expect-error not a rejection reason
    metrics.rejections.inc({ reason: 'timeout' });
    // @ts-expect-error not a worker restart reason
    metrics.workerRestarts.inc({ reason: 'oom' });
    // @ts-expect-error not an auth failure reason
    metrics.authFailures.inc({ reason: 'expired' });
    // @ts-expect-error not a cache failure reason
    metrics.cacheErrors.inc({ tier: 'redis', reason: 'connection' });
    // @ts-expect-error not an error code
    metrics.errors.inc({ code: 'TEAPOT' });
    // What abortReason can return is a rejection reason, and every declared reason has a series at 0.
    expectTypeOf(abortReason).returns.toExtend<RejectionReason>();
  });

  it('cache kinds: the codecs of each model\'s scope', () => {
    expect(CACHE_KIND_BY_MODEL).toEqual({ reranker: scoreCodec.kind, embedder: vectorCodec(4).kind });
  });

  it('a Redis tier exports every failure reason', async () => {
    const metrics = new Metrics(undefined, { defaultMetrics: false });
    metrics.exportServedSeries({ models: [{ role: 'reranker', label: 'reranker' }], cacheTiers: ['memory', 'redis'] });
    const errors = (await metrics.cacheErrors.get()).values;
    expect(errors.map((v) => `${v.labels.tier} ${v.labels.reason} ${v.value}`).sort()).toEqual(CACHE_ERROR_REASONS['redis']?.map((r) => `redis ${r} 0`).sort());
    const lookups = (await metrics.cacheLookups.get()).values;
    expect(lookups.map((v) => `${v.labels.tier} ${v.labels.result} ${v.labels.kind}`).sort()).toEqual(['memory hit score', 'memory miss score', 'redis hit score', 'redis miss score']);
  });
});

describe('a started service, before any request', () => {
  let withEmbedder: TestApp;
  let rerankOnly: TestApp;
  beforeAll(async () => {
    withEmbedder = await testApp({ embeddingModel: await forgedEmbedder(), workers: '0', store: 'none' });
    rerankOnly = await testApp({ workers: '0', cacheMaxBytes: '0', store: 'none' });
  });
  afterAll(async () => {
    await withEmbedder?.close();
    await rerankOnly?.close();
  });

  const scrape = async (t: TestApp): Promise<string> => (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const has = (text: string, name: string, labels: Record<string, string>): boolean =>
    text.split('\n').some((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)));

  it('exports every error code, rejection reason and restart reason at 0', async () => {
    const text = await scrape(withEmbedder);
    for (const code of Object.keys(STATUS_BY_CODE)) expect(has(text, 'reranker_errors_total', { code }), code).toBe(true);
    for (const reason of REJECTION_REASONS) expect(has(text, 'reranker_rejections_total', { reason }), reason).toBe(true);
    for (const reason of WORKER_RESTART_REASONS) expect(has(text, 'reranker_worker_restarts_total', { reason }), reason).toBe(true);
    for (const reason of AUTH_FAILURE_REASONS) expect(has(text, 'reranker_auth_failures_total', { reason }), reason).toBe(true);
    expect(sample(text, 'reranker_errors_total') + sample(text, 'reranker_rejections_total') + sample(text, 'reranker_worker_restarts_total') + sample(text, 'reranker_auth_failures_total')).toBe(0);
  });

  it('exports per-model counters and the memory tier\'s lookups for both kinds at 0', async () => {
    const text = await scrape(withEmbedder);
    expect(has(text, 'reranker_pairs_scored_total', { model: 'reranker' })).toBe(true);
    expect(has(text, 'reranker_texts_embedded_total', { model: 'embedder' })).toBe(true);
    for (const kind of ['score', 'vector']) for (const result of ['hit', 'miss']) expect(has(text, 'reranker_cache_lookups_total', { tier: 'memory', result, kind }), `${result} ${kind}`).toBe(true);
    // The memory tier cannot fail, so it has no error series; the warm-up ran past the cache.
    expect(text).not.toMatch(/^reranker_cache_errors_total\{/m);
    expect(sample(text, 'reranker_pairs_scored_total') + sample(text, 'reranker_cache_lookups_total')).toBe(0);
  });

  it('exports nothing for a model or a tier that is not there', async () => {
    const text = await scrape(rerankOnly);
    expect(has(text, 'reranker_pairs_scored_total', { model: 'reranker' })).toBe(true);
    expect(text).not.toMatch(/^reranker_texts_embedded_total\{/m);
    expect(text).not.toMatch(/^reranker_cache_lookups_total\{/m);
  });
});
