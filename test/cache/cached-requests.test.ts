import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../http/metrics-text.js';
import { testApp, type TestApp } from '../support/test-app.js';

const query = 'which city is the capital of france';
const docs = Array.from({ length: 100 }, (_, i) => `candidate ${i}: ${['Paris is in France.', 'Bananas are yellow.', 'Rivers flow to the sea.'][i % 3]} ${'filler '.repeat(i % 7)}`);

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ workers: '1' });
});
afterAll(async () => t.close());

async function rerank(documents: string[], headers: Record<string, string> = {}) {
  const res = await t.app.inject({ method: 'POST', url: '/v2/rerank', headers, payload: { query, documents } });
  expect(res.statusCode).toBe(200);
  const body = res.json<{ results: { index: number; relevance_score: number }[]; usage: { cached_pairs: number; total_tokens: number } }>();
  const scores = new Array<number>(documents.length);
  for (const r of body.results) scores[r.index] = r.relevance_score;
  return { scores, usage: body.usage };
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return sample((await t.app.inject({ method: 'GET', url: '/metrics' })).body, name, labels);
}

describe('pair-score cache through the API', () => {
  it('answers a repeated identical request from the cache without running the model', async () => {
    const documents = docs.slice(0, 20).map((d) => `repeat ${d}`);
    const first = await rerank(documents);
    expect(first.usage.cached_pairs).toBe(0);
    const scored = await metric('reranker_pairs_scored_total');
    const second = await rerank(documents);
    expect(second.usage.cached_pairs).toBe(20);
    expect(second.usage.total_tokens).toBe(0);
    expect(second.scores).toEqual(first.scores);
    expect(await metric('reranker_pairs_scored_total')).toBe(scored);
    expect(await metric('reranker_cache_lookups_total', { tier: 'memory', result: 'hit' })).toBeGreaterThanOrEqual(20);
  });

  it('sends only the 10 new pairs of a 100-candidate request whose other 90 were seen before', async () => {
    await rerank(docs.slice(0, 90));
    const scored = await metric('reranker_pairs_scored_total');
    const shuffled = [...docs.slice(90), ...docs.slice(0, 90).reverse()];
    const mixed = await rerank(shuffled);
    expect(mixed.usage.cached_pairs).toBe(90);
    expect(await metric('reranker_pairs_scored_total')).toBe(scored + 10);
    // Merged in request order: the same scores as computing every pair afresh.
    const fresh = await rerank(shuffled, { 'cache-control': 'no-store' });
    expect(fresh.usage.cached_pairs).toBe(0);
    expect(mixed.scores).toEqual(fresh.scores);
  });

  it('skips the cache on Cache-Control: no-cache (and refreshes it) and on no-store', async () => {
    const documents = docs.slice(0, 5).map((d) => `bypass ${d}`);
    await rerank(documents);
    const scored = await metric('reranker_pairs_scored_total');
    expect((await rerank(documents, { 'cache-control': 'no-cache' })).usage.cached_pairs).toBe(0);
    expect((await rerank(documents, { 'cache-control': 'max-age=0, no-store' })).usage.cached_pairs).toBe(0);
    expect(await metric('reranker_pairs_scored_total')).toBe(scored + 10);
    expect((await rerank(documents)).usage.cached_pairs).toBe(5);
    const unseen = docs.slice(0, 3).map((d) => `never stored ${d}`);
    await rerank(unseen, { 'cache-control': 'no-store' });
    expect((await rerank(unseen)).usage.cached_pairs).toBe(0);
  });

  it('reports what the memory tier holds: entries and bytes grow by what a request stores, within the budget', async () => {
    const entries = await metric('reranker_cache_memory_entries');
    const bytes = await metric('reranker_cache_memory_bytes');
    await rerank(docs.slice(0, 7).map((d) => `gauge ${d}`));
    expect(await metric('reranker_cache_memory_entries')).toBe(entries + 7);
    const grown = (await metric('reranker_cache_memory_bytes')) - bytes;
    // Each entry costs its key (a hex digest) and a number beyond the fixed per-entry estimate.
    expect(grown).toBeGreaterThan(7 * 112);
    expect(grown).toBeLessThan(7 * 400);
  });

  it('keys on truncation settings: another max_tokens_per_doc is not a hit', async () => {
    const documents = docs.slice(0, 4).map((d) => `truncation ${d}`);
    await rerank(documents);
    const res = await t.app.inject({ method: 'POST', url: '/v2/rerank', payload: { query, documents, max_tokens_per_doc: 3 } });
    expect(res.json().usage.cached_pairs).toBe(0);
  });
});

describe('with the cache disabled', () => {
  it('scores every pair every time', async () => {
    const off = await testApp({ cacheMaxBytes: '0', workers: '1' });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await off.app.inject({ method: 'POST', url: '/v2/rerank', payload: { query, documents: docs.slice(0, 3) } });
        expect(sample((await off.app.inject({ method: 'GET', url: '/metrics' })).body, 'reranker_cache_memory_entries')).toBe(0);
        expect(res.json().usage.cached_pairs).toBe(0);
      }
    } finally {
      await off.close();
    }
  });
});
