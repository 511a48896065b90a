import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { addSettings, buildConfig, type RawSettings } from '../../src/config.js';
import type { RunningServer } from '../../src/server.js';
import { inject } from '../helpers/inject.js';
import { loopbackServer } from '../helpers/loopback-server.js';
import { rerankScores } from '../helpers/rerank-scores.js';
import { forgedDecoder, forgedModel } from '../support/forged-model.js';
import { forgedEmbedder, testApp, type TestApp } from '../support/test-app.js';

const query = 'what is the capital of France?';
const documents = ['Paris is the capital of France.', 'Bananas are yellow.', 'Berlin is in Germany.'];

/** Issue 21: two rerankers (a cross-encoder and a decoder LLM) and an embedder in one process. */
let t: TestApp;
let strict: TestApp;
let alone: { alpha: number[]; qwen: number[] };

async function scoresOf(app: TestApp, model?: string): Promise<number[]> {
  return rerankScores(app.app, { query, documents, raw_scores: true, ...(model === undefined ? {} : { model }) });
}

async function pairsScored(app: TestApp): Promise<Record<string, number>> {
  const values = (await app.service.metrics.pairsScored.get()).values;
  return Object.fromEntries(values.map((v) => [String(v.labels['model']), v.value]));
}

beforeAll(async () => {
  const [alpha, qwen, embedder] = [await forgedModel({ seed: 7 }), await forgedDecoder(), await forgedEmbedder()];
  const settings = { model: `${alpha},${qwen}`, servedModelName: 'acme/alpha,Qwen/Qwen3-Reranker-tiny', embeddingModel: embedder, workers: '1', cacheMaxBytes: '0' };
  t = await testApp(settings);
  strict = await testApp({ ...settings, strictModelName: 'true' });
  // Each model served alone: what routing to it must give.
  const a = await testApp({ model: alpha, workers: '1', cacheMaxBytes: '0' });
  const q = await testApp({ model: qwen, workers: '1', cacheMaxBytes: '0' });
  alone = { alpha: await scoresOf(a), qwen: await scoresOf(q) };
  await a.close();
  await q.close();
});
afterAll(async () => {
  await t?.close();
  await strict?.close();
});

describe('several models in one service, picked per request by `model`', () => {
  it('routes by served name, by the part after the owner on either side, and the default takes the rest', async () => {
    expect(alone.alpha).not.toEqual(alone.qwen);
    const near = (got: number[], want: number[]) => got.forEach((s, i) => expect(Math.abs(s - (want[i] as number))).toBeLessThan(1e-5));
    near(await scoresOf(t, 'Qwen/Qwen3-Reranker-tiny'), alone.qwen);
    near(await scoresOf(t, 'Qwen3-Reranker-tiny'), alone.qwen);
    near(await scoresOf(t, 'someone-else/Qwen3-Reranker-tiny'), alone.qwen);
    near(await scoresOf(t, 'acme/alpha'), alone.alpha);
    near(await scoresOf(t, 'alpha'), alone.alpha);
    // No model, or one not loaded: the default (the first --model), as with one model.
    near(await scoresOf(t), alone.alpha);
    near(await scoresOf(t, 'rerank-english-v3.0'), alone.alpha);
    // The Jina shape routes the same way.
    near(await rerankScores(t.app, { query, documents, raw_scores: true, model: 'Qwen3-Reranker-tiny' }, '/rerank'), alone.qwen);
  });

  it("counts each model's pairs under its own label: the default keeps `reranker`, the other its served name", async () => {
    const before = await pairsScored(t);
    await scoresOf(t, 'Qwen3-Reranker-tiny');
    const after = await pairsScored(t);
    expect((after['Qwen/Qwen3-Reranker-tiny'] ?? 0) - (before['Qwen/Qwen3-Reranker-tiny'] ?? 0)).toBe(documents.length);
    expect(after['reranker']).toBe(before['reranker']);
  });

  it('in strict mode an unknown name is 422 UNKNOWN_MODEL listing the loaded ones; known names still route', async () => {
    const res = await inject(strict.app, 'POST', '/v2/rerank', { query, documents, model: 'rerank-english-v3.0' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ error: { code: 'UNKNOWN_MODEL' } });
    expect(res.body.message).toContain('"acme/alpha", "Qwen/Qwen3-Reranker-tiny"');
    const emb = await inject(strict.app, 'POST', '/v1/embeddings', { input: ['x'], model: 'text-embedding-3-small' });
    expect(emb.status).toBe(422);
    expect(emb.body).toMatchObject({ error: { code: 'UNKNOWN_MODEL' } });
    expect((await scoresOf(strict, 'Qwen3-Reranker-tiny'))[0]).toBeCloseTo(alone.qwen[0] as number, 5);
  });

  it('GET /v1/models and /info list every model with its kind, precision, limits and memory', async () => {
    const res = await inject(t.app, 'GET', '/v1/models');
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('list');
    const data = res.body.data as Record<string, unknown>[];
    expect(data.map((m) => [m['id'], m['role'], m['kind'], m['default']])).toEqual([
      ['acme/alpha', 'reranker', 'cross-encoder', true],
      ['Qwen/Qwen3-Reranker-tiny', 'reranker', 'decoder-reranker', false],
      [expect.any(String), 'embedder', 'embedder', true],
    ]);
    for (const m of data) {
      expect(m).toMatchObject({ object: 'model', precision: 'fp32', owned_by: 'reranker' });
      expect(m['memory_bytes_per_worker']).toBeGreaterThan(100_000);
      expect(m['max_batch_size']).toBeGreaterThan(0);
    }
    const info = await inject(t.app, 'GET', '/info');
    expect((info.body.models as { id: string }[]).map((m) => m.id)).toEqual(data.map((m) => m['id']));
  });

  it('the embedding routes take the embedder by name too', async () => {
    const [card] = ((await inject(t.app, 'GET', '/v1/models')).body.data as { id: string; role: string }[]).filter((m) => m.role === 'embedder');
    const res = await inject(t.app, 'POST', '/v1/embeddings', { input: ['x'], model: card?.id });
    expect(res.status).toBe(200);
    expect(res.body.model).toBe(card?.id);
  });
});

describe('the official OpenAI SDK reads the model list', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await loopbackServer({ model: `${await forgedModel({ seed: 7 })},${await forgedDecoder()}`, servedModelName: 'acme/alpha,Qwen/Qwen3-Reranker-tiny', workers: '1' });
  });
  afterAll(async () => server?.close());

  it('models.list() gives every served name', async () => {
    const client = new OpenAI({ apiKey: 'not-checked', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['acme/alpha', 'Qwen/Qwen3-Reranker-tiny']);
  });
});

describe('--model and its per-model settings', () => {
  it('reads a list (MODEL=a,b or the flag repeated), served names one per model, files one for all or one each', () => {
    const c = buildConfig({ model: 'a/x, b/y', servedModelName: 'first,second', onnxFile: ',onnx/model_quantized.onnx', precision: 'int8' });
    expect(c.rerankers).toEqual([
      { source: 'a/x', servedName: 'first', onnxFile: undefined, precision: 'int8' },
      { source: 'b/y', servedName: 'second', onnxFile: 'onnx/model_quantized.onnx', precision: 'int8' },
    ]);
    expect(() => buildConfig({ model: 'a/x,b/y', servedModelName: 'only-one' })).toThrow(/lists 1 values for 2 models: give one per model/);
    expect(() => buildConfig({ model: 'a/x,b/y,c/z', onnxFile: 'p,q' })).toThrow(/one for all or one per model/);
    expect(buildConfig({ embeddingModel: 'e/one,e/two' }).embedder.models.map((m) => m.source)).toEqual(['e/one', 'e/two']);
    // The flag repeated, as the CLI parses it: the first replaces the default, the others add to it.
    const cmd = addSettings(new Command('t'));
    cmd.parse(['--model', 'a/x', '--model', 'b/y', '--embedding-model', 'e/one'], { from: 'user' });
    const parsed = buildConfig(cmd.opts<RawSettings>());
    expect(parsed.rerankers.map((r) => r.source)).toEqual(['a/x', 'b/y']);
    expect(parsed.embedder.models.map((m) => m.source)).toEqual(['e/one']);
  });

  it('refuses two models under one served name', async () => {
    const dir = await forgedModel({ seed: 7 });
    await expect(testApp({ model: `${dir},${dir}` })).rejects.toThrow(/two models are served as .*give each its own --served-model-name/);
  });
});
