import { afterEach, describe, expect, it } from 'vitest';
import { ModelOutputInvalidError, WorkerFailedError } from '../../src/errors.js';
import { poisonedModel } from '../support/poisoned-model.js';
import { counter, expectClose, forgedModels, makeJob, scoresAlone, startEngine, type TestEngine } from './pool-fixture.js';

const { dir, models } = await forgedModels();
let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  t = undefined;
});

const probe = makeJob(40, 11);
const smallProbe = makeJob(4, 12);
const [probeAlone, smallProbeAlone] = await scoresAlone(models, [probe, smallProbe]);

async function expectHealthy(e: TestEngine): Promise<void> {
  expectClose((await e.rerank(probe)).output, probeAlone as Float32Array);
}

/** Resolves once the scheduler has handed a batch to a worker (the queue is empty again). */
async function dispatched(e: TestEngine): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await e.metrics.batchPairs.get()).values.some((v) => v.metricName?.endsWith('_count') && v.value > 0)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no batch was dispatched within 2 s: the precondition of this test did not hold');
}

describe('worker failures', () => {
  it('runs a batch whose worker exits once more on the fresh worker: its requests get the scores they get alone', async () => {
    const job = makeJob(5, 1);
    const [alone] = await scoresAlone(models, [job]);
    t = await startEngine(dir, { workers: '2', batchWaitMs: '0' });
    t.failNextBatch('exit');
    const crashed = t.rerank(job);
    // Dispatched after the crashing batch, so it runs on the other worker.
    await dispatched(t);
    const bystander = t.rerank(probe);
    expectClose((await crashed).output, alone as Float32Array);
    expectClose((await bystander).output, probeAlone as Float32Array);
    expect(await counter(t.metrics.workerRestarts, { reason: 'crash' })).toBe(1);
    expect(await counter(t.metrics.batchRetries, { outcome: 'answered' })).toBe(1);
    await expectHealthy(t);
    await expectHealthy(t);
  });

  it('fails a batch with 503 WORKER_FAILED when its retry dies too, and the pool is whole again', async () => {
    // One worker: a request's pairs may go out as more than one batch, and with two workers the
    // second death could hit another batch instead of the retry.
    t = await startEngine(dir, { workers: '1', batchWaitMs: '0' });
    t.failNextBatch('exit', 2);
    const doomed = t.rerank(makeJob(5, 1));
    await expect(doomed).rejects.toBeInstanceOf(WorkerFailedError);
    await expect(doomed).rejects.toMatchObject({ code: 'WORKER_FAILED', statusCode: 503, message: expect.stringContaining('twice') });
    expect(await counter(t.metrics.workerRestarts, { reason: 'crash' })).toBe(2);
    expect(await counter(t.metrics.batchRetries, { outcome: 'failed' })).toBe(1);
    await expectHealthy(t);
    await expectHealthy(t);
  });

  // Regression: terminating a thread inside onnxruntime-node's native run aborted the whole
  // process ("terminate called after throwing an instance of 'Napi::Error'").
  it('retires a worker that overruns inside the session without terminating it mid-run', async () => {
    // 256 pairs of 512 tokens take ~2 s on a Zen 3 (~40x the 4-pair check below alone); the timeout
    // sits between the two with room for a faster CPU and for a loaded CI machine, where a 40-pair
    // check once overran a 100 ms timeout.
    t = await startEngine(dir, { workers: '1', batchWaitMs: '0', workerTimeoutMs: '500', maxBatchSize: '256', maxBatchTokens: '1000000' });
    const slow = t.rerank(makeJob(256, 3, 600, 600));
    await expect(slow).rejects.toThrow(/over 500 ms/);
    expect(await counter(t.metrics.workerRestarts, { reason: 'hang' })).toBe(1);
    expectClose((await t.rerank(smallProbe)).output, smallProbeAlone as Float32Array);
  });

  it('replaces a worker whose batch runs past workerTimeoutMs; requests queued behind it succeed', async () => {
    t = await startEngine(dir, { workers: '1', batchWaitMs: '0', workerTimeoutMs: '1000' });
    t.failNextBatch('hang');
    const started = performance.now();
    const hung = t.rerank(makeJob(5, 2));
    hung.catch(() => undefined);
    await dispatched(t);
    const queued = t.rerank(probe);
    await expect(hung).rejects.toBeInstanceOf(WorkerFailedError);
    await expect(hung).rejects.toThrow(/over 1000 ms/);
    // Promptly: the timeout plus scheduling slack, nowhere near a hang.
    expect(performance.now() - started).toBeLessThan(10_000);
    expectClose((await queued).output, probeAlone as Float32Array);
    expect(await counter(t.metrics.workerRestarts, { reason: 'hang' })).toBe(1);
    await expectHealthy(t);
  });

  it('fails a batch whose output is NaN with MODEL_OUTPUT_INVALID, naming the model, and keeps the worker', async () => {
    // The graph itself outputs NaN for any pair holding "zebra" (test/support/poisoned-model.ts).
    t = await startEngine(poisonedModel(dir, 'zebra'), { workers: '1', batchWaitMs: '0' });
    const poisoned = t.rerank({ ...makeJob(5, 4), query: 'what is a zebra' });
    await expect(poisoned).rejects.toBeInstanceOf(ModelOutputInvalidError);
    await expect(poisoned).rejects.toMatchObject({ code: 'MODEL_OUTPUT_INVALID', statusCode: 500, message: expect.stringContaining('reranker') });
    expect(await counter(t.metrics.workerRestarts)).toBe(0);
    await expectHealthy(t);
  });
});
