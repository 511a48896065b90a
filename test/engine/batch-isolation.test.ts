import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { buildConfig } from '../../src/config.js';
import { isolateBatch, ModelRunError } from '../../src/engine/batch-isolation.js';
import type { BatchOutput } from '../../src/engine/worker-pool.js';
import { InputNotScorableError, ModelRunFailedError } from '../../src/errors.js';
import { Service } from '../../src/service.js';
import { inject } from '../helpers/inject.js';
import { forgedModel } from '../support/forged-model.js';

/**
 * Issue 23, item 3: a batch ONNX Runtime cannot run fails only the request that cannot be scored.
 * The forged folder's graph has 64 positions while its config.json claims 512, so a pair longer than
 * 64 tokens fails inside ONNX Runtime (adding 64 position rows to more tokens), as the issue's
 * out-of-bounds Gather did; shorter pairs score. Twelve concurrent requests share one batch on one worker; the one long
 * request gets 422 INPUT_NOT_SCORABLE and the other eleven their scores, the same as alone.
 */
let work: string;
let app: Awaited<ReturnType<typeof buildApp>>;
let service: Service;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'isolation-'));
  const dir = join(work, 'short-positions');
  await cp(await forgedModel({ maxPositions: 64 }), dir, { recursive: true });
  for (const [file, key] of [['config.json', 'max_position_embeddings'], ['tokenizer_config.json', 'model_max_length']] as const) {
    const json = JSON.parse(await readFile(join(dir, file), 'utf8')) as Record<string, unknown>;
    json[key] = 512;
    await writeFile(join(dir, file), JSON.stringify(json));
  }
  // One worker, no cache, and time for twelve requests to gather into one batch.
  const config = buildConfig({ model: dir, workers: '1', embeddingModel: 'none', store: 'none', cacheMaxBytes: '0', batchWaitMs: '300' });
  service = new Service(config);
  await service.start();
  app = await buildApp({ config, service });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await service?.close();
  await rm(work, { recursive: true, force: true });
});

const words = (n: number, seed: number): string => Array.from({ length: n }, (_, i) => ['paris', 'river', 'bread', 'tower', 'garden', 'music'][(i + seed) % 6]).join(' ');
const request = (i: number) => ({ query: `question ${i}`, documents: [words(20 + i, i)] });
const isolations = async (): Promise<number> => Number(/^reranker_batch_isolations_total\{[^}]*\} (\d+)/m.exec((await inject(app, 'GET', '/metrics')).text)?.[1] ?? NaN);

describe('a batch ONNX Runtime refuses', () => {
  it('fails only the request it cannot score; the eleven others get the scores they get alone', async () => {
    const alone: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await inject(app, 'POST', '/v2/rerank', request(i));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      alone.push(res.body.results[0].relevance_score as number);
    }
    const before = await isolations();
    const bad = { query: 'too long', documents: [words(120, 0)] };
    const answers = await Promise.all([...Array.from({ length: 11 }, (_, i) => inject(app, 'POST', '/v2/rerank', request(i))), inject(app, 'POST', '/v2/rerank', bad)]);
    for (const [i, res] of answers.slice(0, 11).entries()) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.results[0].relevance_score).toBeCloseTo(alone[i] as number, 6);
    }
    const refused = answers[11];
    expect(refused?.status).toBe(422);
    expect(refused?.body.error.code).toBe('INPUT_NOT_SCORABLE');
    // ONNX Runtime's own words, naming the operator (here the Add of token and position embeddings, 64 by 125).
    expect(refused?.body.error.message).toMatch(/^The model cannot score this request's input \(ONNX Runtime: Non-zero status code returned while running Add node\. Name:'[^']+'.* 64 by \d+\)\.$/);
    // They shared a batch, which was run again apart.
    expect(await isolations()).toBe(before + 1);
    // And the service goes on scoring.
    expect((await inject(app, 'POST', '/v2/rerank', request(3))).status).toBe(200);
  }, 60_000);
});

describe('isolateBatch (the bisection alone)', () => {
  type Req = { id: number };
  const requests: Req[] = Array.from({ length: 8 }, (_, id) => ({ id }));
  // Two slots per request, as a request with two documents has.
  const slots = requests.flatMap((request) => [0, 1].map((pair) => ({ request, pair })));
  const output = (n: number): BatchOutput => ({ output: new Float32Array(n), width: 1, seconds: 0 });

  async function bisect(bad: Set<number>, modelHasScored: boolean) {
    const scored: number[] = [];
    const failed = new Map<number, unknown>();
    const reruns = await isolateBatch(slots, new ModelRunError('first'), {
      run: async (part) => {
        if (part.some((s) => bad.has(s.request.id))) throw new ModelRunError('inference failed in a worker: Non-zero status code returned while running Gather node');
        return output(part.length);
      },
      scored: (part) => scored.push(...new Set(part.map((s) => s.request.id))),
      failed: (part, err) => part.forEach((s) => failed.set(s.request.id, err)),
    }, modelHasScored);
    return { scored: scored.sort((a, b) => a - b), failed, reruns };
  }

  it('finds one bad request among eight in 2·log2(8) re-runs and scores the seven others', async () => {
    const { scored, failed, reruns } = await bisect(new Set([5]), false);
    expect(scored).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect([...failed.keys()]).toEqual([5]);
    expect(failed.get(5)).toBeInstanceOf(InputNotScorableError);
    expect(reruns).toBe(6);
  });

  it('when every request fails alone and the model never scored, it is the model: MODEL_RUN_FAILED', async () => {
    const { scored, failed } = await bisect(new Set(requests.map((r) => r.id)), false);
    expect(scored).toEqual([]);
    expect([...failed.values()].every((e) => e instanceof ModelRunFailedError)).toBe(true);
    expect(failed.size).toBe(8);
  });

  it('a model that scored before makes a lone failure the input: INPUT_NOT_SCORABLE', async () => {
    const { failed } = await bisect(new Set(requests.map((r) => r.id)), true);
    expect([...failed.values()].every((e) => e instanceof InputNotScorableError)).toBe(true);
  });
});
