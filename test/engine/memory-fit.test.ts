import { describe, expect, it } from 'vitest';
import { forgedDecoder, forgedModel } from '../support/forged-model.js';
import { testApp } from '../support/test-app.js';

/** Issue 21: every worker holds a session of each model of its lane; a start that cannot hold them is refused, saying what would fit. */
describe('a start whose models do not fit in the workers\' memory', () => {
  it('is refused with what each model needs and what would fit, before any worker loads', async () => {
    const models = { model: `${await forgedModel({ seed: 7 })},${await forgedDecoder()}`, servedModelName: 'acme/alpha,Qwen/Qwen3-Reranker-tiny' };
    // The two forged models need ~8 MB and ~39 MB per worker (twice their files). Beside a decoder the
    // cross-encoder has workers of its own (worker lanes): --workers 2 is two of each, ~94 MB, over 80 MB.
    const err = await testApp({ ...models, workers: '2', workerMemoryBytes: String(80e6) }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/The models do not fit in memory: the decoders have workers of their own beside the other models' \(reranker [\d.]+ GB, Qwen\/Qwen3-Reranker-tiny [\d.]+ GB; each worker holds its own lane's models\), and 2 workers in each of the 2 lanes need [\d.]+ GB, over the 0\.08 GB the workers may take \(--worker-memory-bytes\)/);
    expect(err?.message).toMatch(/What would fit: --workers 1 \([\d.]+ GB\); int8 for reranker, Qwen\/Qwen3-Reranker-tiny .*; fewer models; a larger --worker-memory-bytes\./);

    // With the pool's size left to the service, a budget under one worker is refused too (it used to start one anyway).
    await expect(testApp({ ...models, workerMemoryBytes: String(10e6) })).rejects.toThrow(/and 1 worker in each of the 2 lanes need [\d.]+ GB, over the 0\.01 GB/);
    await expect(testApp({ model: await forgedModel({ seed: 7 }), workerMemoryBytes: String(5e6) })).rejects.toThrow(/and 1 worker needs [\d.]+ GB, over the 0\.01 GB/);

    // The same models within the budget start, with as many workers as it holds.
    const app = await testApp({ ...models, workers: '1', workerMemoryBytes: String(100e6) });
    expect(app.service.state).toBe('ready');
    await app.close();
  });
});
