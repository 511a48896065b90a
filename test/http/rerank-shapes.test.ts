import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../support/test-app.js';
import { injector } from '../helpers/inject.js';

const query = 'what is the capital of france';
const documents = [
  'Paris is the capital and most populous city of France.',
  'The Eiffel Tower is a wrought-iron lattice tower in Paris.',
  'Bananas are rich in potassium.',
  'France is a country in Western Europe.',
];

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ servedModelName: 'forged-tiny' });
});
afterAll(async () => t.close());

const { post } = injector(() => t.app);

function sortedDesc(scores: number[]): boolean {
  return scores.every((s, i) => i === 0 || (scores[i - 1] as number) >= s);
}

describe('Jina shape on POST /rerank', () => {
  it('returns every document by score with documents echoed as {text}', async () => {
    const { status, body } = await post('/rerank', { model: 'jina-reranker-v2-base-multilingual', query, documents });
    expect(status).toBe(200);
    expect(body.model).toBe('jina-reranker-v2-base-multilingual');
    expect(body.results).toHaveLength(4);
    expect(new Set(body.results.map((r: { index: number }) => r.index))).toEqual(new Set([0, 1, 2, 3]));
    const scores = body.results.map((r: { relevance_score: number }) => r.relevance_score);
    expect(sortedDesc(scores)).toBe(true);
    for (const r of body.results) {
      expect(r.document).toEqual({ text: documents[r.index] });
      expect(r.relevance_score).toBeGreaterThan(0);
      expect(r.relevance_score).toBeLessThan(1);
    }
    expect(body.usage.total_tokens).toBeGreaterThan(4 * 8);
    expect(typeof body.id).toBe('string');
  });

  it('honours top_n and its alias top_k', async () => {
    const all = (await post('/rerank', { query, documents })).body.results;
    const top2 = (await post('/rerank', { query, documents, top_n: 2 })).body.results;
    const topk = (await post('/rerank', { query, documents, top_k: 3 })).body.results;
    expect(top2).toEqual(all.slice(0, 2));
    expect(topk).toEqual(all.slice(0, 3));
  });

  it('reports raw logits when asked, and their sigmoid otherwise', async () => {
    const prob = (await post('/rerank', { query, documents })).body.results;
    const raw = (await post('/rerank', { query, documents, raw_scores: true })).body.results;
    expect(raw.map((r: { index: number }) => r.index)).toEqual(prob.map((r: { index: number }) => r.index));
    raw.forEach((r: { relevance_score: number }, i: number) => {
      expect(1 / (1 + Math.exp(-r.relevance_score))).toBeCloseTo(prob[i].relevance_score, 6);
    });
  });
});

describe('Cohere shapes', () => {
  it('v2 leaves documents out by default and reports api version 2', async () => {
    const { status, body } = await post('/v2/rerank', { model: 'rerank-v3.5', query, documents, top_n: 3 });
    expect(status).toBe(200);
    expect(body.results).toHaveLength(3);
    expect(body.results[0].document).toBeUndefined();
    expect(body.meta).toEqual({ api_version: { version: '2' }, billed_units: { search_units: 1 } });
  });

  it('v1 echoes documents and accepts Cohere-only fields it does not use', async () => {
    const { status, body } = await post('/v1/rerank', { model: 'rerank-english-v3.0', query, documents, max_chunks_per_doc: 10 });
    expect(status).toBe(200);
    expect(body.results[0].document.text).toBe(documents[body.results[0].index]);
    expect(body.meta.api_version.version).toBe('1');
  });

  it('ranks object documents on text, or on rank_fields, and echoes the original object', async () => {
    const objects = documents.map((text, i) => ({ title: `doc ${i}`, body: text, text }));
    const byText = (await post('/v2/rerank', { query, documents: objects, return_documents: true })).body.results;
    expect(byText[0].document).toEqual(objects[byText[0].index]);
    const plain = (await post('/v2/rerank', { query, documents })).body.results;
    expect(byText.map((r: { index: number }) => r.index)).toEqual(plain.map((r: { index: number }) => r.index));
    const byFields = (await post('/v2/rerank', { query, documents: objects, rank_fields: ['title', 'body'] })).body.results;
    expect(byFields.map((r: { relevance_score: number }) => r.relevance_score)).not.toEqual(plain.map((r: { relevance_score: number }) => r.relevance_score));
  });

  it('orders ties by index', async () => {
    const { body } = await post('/v2/rerank', { query, documents: ['same text', 'other text', 'same text', 'same text'] });
    const same = body.results.filter((r: { index: number }) => r.index !== 1).map((r: { index: number }) => r.index);
    expect(same).toEqual([0, 2, 3]);
  });
});

describe('TEI shape on POST /rerank', () => {
  it('returns a bare array of {index, score} sorted by score', async () => {
    const { status, body } = await post('/rerank', { query, texts: documents });
    expect(status).toBe(200);
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(4);
    expect(Object.keys(body[0]).sort()).toEqual(['index', 'score']);
    expect(sortedDesc(body.map((r: { score: number }) => r.score))).toBe(true);
  });

  it('adds text with return_text and raw logits with raw_scores', async () => {
    const { body } = await post('/rerank', { query, texts: documents, return_text: true, raw_scores: true });
    expect(body[0].text).toBe(documents[body[0].index]);
    const jina = (await post('/rerank', { query, documents, raw_scores: true })).body.results;
    expect(body.map((r: { score: number }) => r.score)).toEqual(jina.map((r: { relevance_score: number }) => r.relevance_score));
  });

  it('answers an over-long pair with 413 when truncate is false, and truncates otherwise', async () => {
    const long = 'word '.repeat(2000);
    const refused = await post('/rerank', { query, texts: [long], truncate: false });
    expect(refused.status).toBe(413);
    expect(refused.body).toEqual({ error: expect.stringContaining('512'), error_type: 'Validation' });
    const cut = await post('/rerank', { query, texts: [long], truncate: true });
    expect(cut.status).toBe(200);
  });
});

describe('info', () => {
  it('reports the served model and limits', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/info' });
    expect(res.statusCode).toBe(200);
    const info = res.json();
    expect(info.model_id).toBe('forged-tiny');
    expect(info.max_input_length).toBe(512);
    expect(info.max_client_batch_size).toBe(1000);
    expect(info.num_labels).toBe(1);
  });
});
