import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { createPoolEngine } from '../../src/engine/create-engine.js';
import type { PoolEngine } from '../../src/engine/engine.js';
import type { EncodeJob } from '../../src/text/encode-job.js';
import { LocalEngine } from '../../src/engine/local-engine.js';
import { Metrics } from '../../src/metrics.js';
import { loadCrossEncoder } from '../../src/models/kinds/cross-encoder.js';
import { loadEmbedder } from '../../src/models/kinds/embedder.js';
import { engineModels } from '../support/engine-models.js';
import { engineSettings } from '../../src/compose.js';
import { forgedModel } from '../support/forged-model.js';
import { forgedEmbedder } from '../support/test-app.js';
import { expectClose, makeJob } from './pool-fixture.js';
import { packTexts } from '../../src/text/packed-texts.js';

const WORDS = 'paris france capital river seine bank bread cheese wine tower museum art history'.split(' ');
const texts = (n: number, seed: number, words: number): string[] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: words }, (_, j) => WORDS[(i * 7 + j * 3 + seed) % WORDS.length]).join(' '));
const embedJob = (n: number, seed: number, words = 8): EncodeJob => ({ kind: 'texts', texts: packTexts(texts(n, seed, words)), truncation: { direction: 'right', truncate: true } });

let engine: PoolEngine;
let local: LocalEngine;
beforeAll(async () => {
  const reranker = loadCrossEncoder(await forgedModel(), {});
  const embedder = loadEmbedder(await forgedEmbedder(), {});
  const config = buildConfig({ model: reranker.folder.dir, embeddingModel: embedder.folder.dir, workers: '1', batchWaitMs: '0' });
  const models = engineModels({ reranker, embedder }, config);
  engine = (await createPoolEngine(models, engineSettings(config), new Metrics(undefined, { defaultMetrics: false }))).engine;
  local = await LocalEngine.create(models, 1);
});
afterAll(async () => {
  await engine?.close();
  await local?.close();
});

/** Runs `small` jobs one after another while `big` is in flight; their latencies, and whether big was still running. */
async function alongside(big: Promise<unknown>, small: () => Promise<unknown>, count: number): Promise<{ latencies: number[]; bigStillRunning: boolean }> {
  let bigDone = false;
  void big.then(() => (bigDone = true));
  // Let the big job be tokenized and queued first.
  await new Promise((r) => setTimeout(r, 300));
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await small();
    latencies.push(performance.now() - t0);
  }
  const bigStillRunning = !bigDone;
  await big;
  return { latencies, bigStillRunning };
}

describe('one worker pool serving a reranker and an embedder', () => {
  it('embeds and reranks on the same workers, each output equal to the model run alone', async () => {
    const rerank = makeJob(50, 3);
    const embed = embedJob(50, 4, 20);
    const [r, e] = await Promise.all([engine.run('reranker', rerank), engine.run('embedder', embed)]);
    expectClose(r.output, (await local.run('reranker', rerank)).output);
    expectClose(e.output, (await local.run('embedder', embed)).output);
    expect(e.width).toBe(32);
  });

  it('does not starve the embedder behind a large rerank backlog', async () => {
    const big = engine.run('reranker', makeJob(3000, 5, 60, 120));
    const t0 = performance.now();
    const { latencies, bigStillRunning } = await alongside(big, () => engine.run('embedder', embedJob(1, 6)), 5);
    const bigMs = performance.now() - t0;
    expect(bigStillRunning).toBe(true);
    // Each query embedding waits for about one rerank batch, not for the whole backlog.
    for (const ms of latencies) expect(ms).toBeLessThan(bigMs / 5);
  });

  it('does not starve the reranker behind a large embedding backlog', async () => {
    const big = engine.run('embedder', embedJob(3500, 7, 150));
    const t0 = performance.now();
    const { latencies, bigStillRunning } = await alongside(big, () => engine.run('reranker', makeJob(2, 8)), 5);
    const bigMs = performance.now() - t0;
    expect(bigStillRunning).toBe(true);
    for (const ms of latencies) expect(ms).toBeLessThan(bigMs / 5);
  });
});
