import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/test-app.js';
import { corpus, POSTGRES_HINT, postgresProblem, searchApp, type SearchApp } from '../support/search-app.js';
import { forgedDecoder, forgedModel } from '../support/forged-model.js';

const postgres = await postgresProblem();
const DOCS = corpus(80, 3);
const QUERY = 'the capital of france and its museum of art';
const CHEAP = 'acme/alpha';
const LLM = 'Qwen/Qwen3-Reranker-tiny';

type Result = { id: string; relevance_score: number; document: { text: string }; scores: { rerank?: number; stages?: (number | null)[] }; ranks: { stages?: (number | null)[]; fused: number } };
type Stage = { model: string; ran: boolean; skipped?: string; candidates: number };

async function models(): Promise<{ model: string; servedModelName: string }> {
  return { model: `${await forgedModel({ seed: 7 })},${await forgedDecoder()}`, servedModelName: `${CHEAP},${LLM}` };
}

/** Issue 21: a two-stage rerank cascade in /search, on both stores. */
for (const backend of ['pglite', 'postgres'] as const) {
  const skip = backend === 'postgres' && postgres !== undefined;
  describe.skipIf(skip)(`/search with a rerank cascade on ${backend}${skip ? ` (${POSTGRES_HINT})` : ''}`, () => {
    let t: SearchApp;
    const name = `cascade-${randomBytes(3).toString('hex')}`;
    beforeAll(async () => {
      t = await searchApp(backend, { ...(await models()), cacheMaxBytes: '0' });
      expect((await t.put(`/collections/${name}`)).status).toBe(200);
      expect((await t.post(`/collections/${name}/documents`, { documents: DOCS })).status).toBe(200);
    });
    afterAll(async () => {
      await t?.app.inject({ method: 'DELETE', url: `/collections/${name}` });
      await t?.close();
    });

    const search = (body: Record<string, unknown>) => t.post('/search', { collection: name, query: QUERY, candidates: 30, ...body });
    /** /rerank's raw scores of `texts` with `model`, by text. */
    const rerank = async (model: string, texts: string[]): Promise<Map<string, number>> => {
      const res = await t.post('/v2/rerank', { model, query: QUERY, documents: texts, raw_scores: true });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return new Map((res.body.results as { index: number; relevance_score: number }[]).map((r) => [texts[r.index] as string, r.relevance_score]));
    };
    const pairs = async (): Promise<Record<string, number>> => Object.fromEntries((await t.service.metrics.pairsScored.get()).values.map((v) => [String(v.labels['model']), v.value]));

    it('orders as /rerank with the second model on the first model\'s top_n of the same candidates, with each stage\'s scores equal to /rerank\'s', async () => {
      const first = await search({ rerank: false, top_n: 30 });
      const candidates = (first.body.results as Result[]).map((r) => r.document.text);
      expect(candidates).toHaveLength(30);
      const cheap = await rerank(CHEAP, candidates);
      const kept = [...candidates].sort((a, b) => (cheap.get(b) as number) - (cheap.get(a) as number)).slice(0, 8);
      const llm = await rerank(LLM, kept);
      const want = [...kept].sort((a, b) => (llm.get(b) as number) - (llm.get(a) as number)).slice(0, 5);

      const res = await search({ rerank: [{ model: CHEAP, top_n: 8 }, { model: 'Qwen3-Reranker-tiny' }], top_n: 5, raw_scores: true });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const results = res.body.results as Result[];
      expect(results.map((r) => r.document.text)).toEqual(want);
      for (const r of results) {
        const [s1, s2] = r.scores.stages as [number, number];
        expect(Math.abs(s1 - (cheap.get(r.document.text) as number))).toBeLessThan(1e-5);
        expect(Math.abs(s2 - (llm.get(r.document.text) as number))).toBeLessThan(1e-5);
        expect(r.scores.rerank).toBe(s2);
        expect(r.relevance_score).toBe(s2);
      }
      expect(results.map((r) => r.ranks.stages?.[1])).toEqual([1, 2, 3, 4, 5]);
      // Stage one ranked each among the 30; stage two among the 8 it kept.
      for (const r of results) expect(r.ranks.stages?.[0]).toBeLessThanOrEqual(8);
      expect(res.body.stages).toEqual([
        { model: CHEAP, ran: true, candidates: 30 },
        { model: LLM, ran: true, candidates: 8 },
      ]);
      expect(res.body.model.reranker).toBe(LLM);
      const timing = String(res.headers['server-timing']);
      expect(timing).toMatch(/rerank-1;dur=[\d.]+;desc="acme\/alpha"/);
      expect(timing).toMatch(/rerank-2;dur=[\d.]+;desc="Qwen\/Qwen3-Reranker-tiny"/);
    });

    it('a gated stage that does not run says why, keeps the order before it, and runs no inference', async () => {
      const before = await pairs();
      const stagesBefore = (await t.service.metrics.searchStages.get()).values.find((v) => v.labels['model'] === LLM && v.labels['outcome'] === 'skipped')?.value ?? 0;
      const gated = await search({ rerank: [{ model: CHEAP, top_n: 8 }, { model: LLM, when: { min_query_tokens: 500 } }], top_n: 5, raw_scores: true });
      expect(gated.status, JSON.stringify(gated.body)).toBe(200);
      const after = await pairs();
      expect(after[LLM]).toBe(before[LLM]);
      expect(after['reranker']).toBeGreaterThan(before['reranker'] ?? 0);
      const skippedAfter = (await t.service.metrics.searchStages.get()).values.find((v) => v.labels['model'] === LLM && v.labels['outcome'] === 'skipped')?.value;
      expect(skippedAfter).toBe(stagesBefore + 1);
      const [, second] = gated.body.stages as Stage[];
      expect(second).toMatchObject({ model: LLM, ran: false, candidates: 8 });
      expect(second?.skipped).toMatch(/the query has \d+ tokens, under min_query_tokens 500/);
      const results = gated.body.results as Result[];
      expect(results.map((r) => r.ranks.stages?.[0])).toEqual([1, 2, 3, 4, 5]);
      for (const r of results) {
        expect(r.scores.stages?.[1]).toBeNull();
        expect(r.scores.rerank).toBe(r.scores.stages?.[0]);
      }
      expect(gated.body.model.reranker).toBe(CHEAP);
      expect(String(gated.headers['server-timing'])).not.toContain('rerank-2');
    });

    it('max_margin runs the stage only when the stage before is unsure', async () => {
      const never = await search({ rerank: [{ model: CHEAP, top_n: 8 }, { model: LLM, when: { max_margin: 0 } }], top_n: 5 });
      expect((never.body.stages as Stage[])[1]).toMatchObject({ ran: false, skipped: expect.stringMatching(/top two scores are [\d.]+ apart, over max_margin 0/) });
      const always = await search({ rerank: [{ model: CHEAP, top_n: 8 }, { model: LLM, when: { max_margin: 1 } }], top_n: 5 });
      expect((always.body.stages as Stage[])[1]).toMatchObject({ ran: true });
    });
  });
}

describe('cascade requests that cannot run as asked are refused before any work', () => {
  let t: SearchApp;
  beforeAll(async () => {
    t = await searchApp('pglite', { ...(await models()), searchCascade: JSON.stringify([{ model: 'alpha', top_n: 6 }, { model: 'Qwen3-Reranker-tiny' }]) });
    expect((await t.put('/collections/few')).status).toBe(200);
    expect((await t.post('/collections/few/documents', { documents: DOCS.slice(0, 20) })).status).toBe(200);
  });
  afterAll(async () => t?.close());

  it('422 for an unknown stage model (whatever strict mode says), max_margin on the first stage, and top_n that disagree', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ rerank: [{ model: 'nope' }] }, 'UNKNOWN_MODEL', /no reranker "nope"; it serves "acme\/alpha", "Qwen\/Qwen3-Reranker-tiny"/],
      [{ rerank: [{ model: CHEAP, when: { max_margin: 0.1 } }] }, 'INVALID_ARGUMENT', /the first rerank stage has none/],
      [{ rerank: [{ model: CHEAP }, { model: LLM, top_n: 3 }], top_n: 4 }, 'INVALID_ARGUMENT', /last rerank stage's top_n \(3\) is the request's/],
      [{ rerank: [{ model: CHEAP, top_n: 2 }, { model: LLM }], top_n: 4 }, 'INVALID_ARGUMENT', /stage 1 keeps 2 candidates, fewer than offset \+ top_n \(4\)/],
    ];
    for (const [body, code, message] of cases) {
      const res = await t.post('/search', { collection: 'few', query: QUERY, ...body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toMatch(message);
    }
    // The schema's own checks: a misspelt stage field is named.
    const misspelt = await t.post('/search', { collection: 'few', query: QUERY, rerank: [{ model: CHEAP, topN: 1 }] });
    expect(misspelt.status).toBe(400);
    expect(misspelt.text).toContain('topN');
  });

  it('rerank: true runs the server cascade (--search-cascade); with no top_n asked, it returns what the narrowest stage keeps', async () => {
    const res = await t.post('/search', { collection: 'few', query: QUERY, candidates: 20 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.stages).toEqual([
      { model: CHEAP, ran: true, candidates: 20 },
      { model: LLM, ran: true, candidates: 6 },
    ]);
    expect(res.body.results).toHaveLength(6);
    const single = await t.post('/search', { collection: 'few', query: QUERY, candidates: 20, rerank: [{ model: CHEAP }], top_n: 3 });
    expect(single.body.results[0].scores.stages).toHaveLength(1);
  });

  it('a --search-cascade naming a model that is not loaded fails the start', async () => {
    await expect(testApp({ ...(await models()), searchCascade: '[{"model":"missing"}]' })).rejects.toThrow(/--search-cascade names the model "missing", which is not loaded/);
    await expect(testApp({ ...(await models()), searchCascade: '[{"model":"alpha","top_n":0}]' })).rejects.toThrow(/--search-cascade/);
    await expect(testApp({ ...(await models()), searchCascade: 'not json' })).rejects.toThrow(/--search-cascade \(SEARCH_CASCADE\) is not JSON/);
  });
});
