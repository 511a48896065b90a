import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbedder } from '../../src/models/kinds/embedder.js';
import { forgedEmbedder, testApp, type TestApp } from '../support/test-app.js';
import { injector } from '../helpers/inject.js';
import { norm } from '../helpers/vectors.js';

let t: TestApp;
let embedderDir: string;
beforeAll(async () => {
  embedderDir = await forgedEmbedder();
  t = await testApp({ embeddingModel: embedderDir, maxDocuments: '8', maxDocumentChars: '2000', servedModelName: 'forged-tiny' });
});
afterAll(async () => t?.close());

const { post } = injector(() => t.app);

function fromBase64(s: string): number[] {
  const b = Buffer.from(s, 'base64');
  return Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(i * 4));
}

describe('POST /v1/embeddings (OpenAI shape)', () => {
  it('embeds one text or several, unit length, in order, with usage', async () => {
    const one = await post('/v1/embeddings', { input: 'hello world', model: 'text-embedding-3-small' });
    expect(one.status).toBe(200);
    const body = one.body as { object: string; data: { object: string; index: number; embedding: number[] }[]; model: string; usage: { prompt_tokens: number; total_tokens: number } };
    expect(body.object).toBe('list');
    expect(body.model).toBe('text-embedding-3-small');
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    expect(body.data[0]?.embedding).toHaveLength(32);
    expect(Math.abs(norm(body.data[0]?.embedding as number[]) - 1)).toBeLessThan(1e-5);
    // [CLS] hello world [SEP]
    expect(body.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });

    const many = (await post('/v1/embeddings', { input: ['b text', 'hello world', 'a'] }, { 'cache-control': 'no-cache' })).body as typeof body;
    expect(many.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(many.data[1]?.embedding).toEqual(body.data[0]?.embedding);
    expect(many.model).toBe(loadEmbedder(embedderDir, {}).folder.name);
  });

  it('base64 is the same vector as little-endian float32 bytes', async () => {
    const floats = (await post('/v1/embeddings', { input: ['paris'], encoding_format: 'float' })).body as { data: { embedding: number[] }[] };
    const b64 = (await post('/v1/embeddings', { input: ['paris'], encoding_format: 'base64' })).body as { data: { embedding: string }[] };
    expect(typeof b64.data[0]?.embedding).toBe('string');
    expect(fromBase64(b64.data[0]?.embedding as string)).toEqual(floats.data[0]?.embedding.map((x) => Math.fround(x)));
  });

  it('dimensions keeps the first N components and re-normalises', async () => {
    const full = ((await post('/v1/embeddings', { input: 'paris' })).body as { data: { embedding: number[] }[] }).data[0]?.embedding as number[];
    const cut = ((await post('/v1/embeddings', { input: 'paris', dimensions: 8 })).body as { data: { embedding: number[] }[] }).data[0]?.embedding as number[];
    expect(cut).toHaveLength(8);
    expect(Math.abs(norm(cut) - 1)).toBeLessThan(1e-5);
    const head = full.slice(0, 8);
    head.forEach((x, i) => expect(Math.abs(x / norm(head) - (cut[i] as number))).toBeLessThan(1e-6));
    const tooMany = await post('/v1/embeddings', { input: 'paris', dimensions: 33 });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
  });

  it('answers repeated texts from the cache and says so in the log stats', async () => {
    const texts = ['cache me once', 'cache me twice'];
    await post('/v1/embeddings', { input: texts });
    const before = await t.service.metrics.textsEmbedded.get();
    const again = await post('/v1/embeddings', { input: texts });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ usage: { prompt_tokens: 0 } });
    expect(await t.service.metrics.textsEmbedded.get()).toEqual(before);
    expect(String(again.headers['server-timing'])).toMatch(/^cache;dur=/);
  });

  it('answers clear 4xx for empty, too many, too long and mistyped input', async () => {
    expect(await post('/v1/embeddings', { input: [] })).toMatchObject({ status: 400, body: { error: { code: 'EMPTY_INPUT' } } });
    expect(await post('/v1/embeddings', { input: Array.from({ length: 9 }, () => 'x') })).toMatchObject({ status: 413, body: { error: { code: 'TOO_MANY_DOCUMENTS' } } });
    expect(await post('/v1/embeddings', { input: 'x'.repeat(2001) })).toMatchObject({ status: 413, body: { error: { code: 'DOCUMENT_TOO_LONG' } } });
    expect(await post('/v1/embeddings', { input: [1, 2, 3] })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } });
    expect(await post('/v1/embeddings', { input: 'x', encoding_format: 'int8' })).toMatchObject({ status: 422, body: { error: { code: 'INVALID_ARGUMENT' } } });
    expect(await post('/v1/embeddings', { model: 'm' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } });
  });
});

describe('POST /embed (TEI shape)', () => {
  it('returns a bare array of vectors, normalised unless asked not to', async () => {
    const res = await post('/embed', { inputs: ['hello world', 'paris'] });
    expect(res.status).toBe(200);
    const vectors = res.body as number[][];
    expect(vectors).toHaveLength(2);
    for (const v of vectors) expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-5);
    const raw = (await post('/embed', { inputs: 'hello world', normalize: false })).body as number[][];
    expect(Math.abs(norm(raw[0] as number[]) - 1)).toBeGreaterThan(1e-3);
    (raw[0] as number[]).forEach((x, i) => expect(Math.abs(x / norm(raw[0] as number[]) - (vectors[0]?.[i] as number))).toBeLessThan(1e-6));
  });

  it('cuts over-long texts by default and refuses them with truncate: false', async () => {
    const long = 'paris '.repeat(300);
    expect((await post('/embed', { inputs: long })).status).toBe(200);
    const refused = await post('/embed', { inputs: long, truncate: false });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error_type: 'Validation', error: expect.stringMatching(/over the model's limit of 128/) });
  });

  it('answers every error in TEI\'s shape, malformed JSON included', async () => {
    expect(await post('/embed', '{"inputs": [')).toMatchObject({ status: 400, body: { error_type: 'Validation' } });
    expect(await post('/embed', { inputs: [] })).toMatchObject({ status: 400, body: { error_type: 'Empty' } });
  });
});

describe('without an embedding model', () => {
  it('serves /rerank and answers the embedding routes 503 EMBEDDER_UNAVAILABLE with the advice', async () => {
    const bare = await testApp({ embeddingModel: 'none' });
    try {
      const rerank = await bare.app.inject({ method: 'POST', url: '/v2/rerank', payload: { query: 'q', documents: ['a'] } });
      expect(rerank.statusCode).toBe(200);
      const res = await bare.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { input: 'x' } });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.json()).toMatchObject({ error: { code: 'EMBEDDER_UNAVAILABLE', message: expect.stringContaining('--embedding-model') } });
      const info = await bare.app.inject({ method: 'GET', url: '/info' });
      expect(info.json()).toMatchObject({ embedding_model: null });
    } finally {
      await bare.close();
    }
  });
});

describe('GET /info', () => {
  it('names both models and shows no absolute paths', async () => {
    const info = (await t.app.inject({ method: 'GET', url: '/info' })).json<Record<string, unknown>>();
    expect(info).toMatchObject({ model_id: 'forged-tiny', onnx_file: 'onnx/model.onnx', embedding_model: { onnx_file: 'onnx/model.onnx', dimensions: 32, max_input_length: 128, pooling: ['mean'], normalize: true } });
    expect(JSON.stringify(info)).not.toContain(embedderDir);
    expect(JSON.stringify(info)).not.toContain(t.modelDir);
  });
});
