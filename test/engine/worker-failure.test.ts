import { afterEach, describe, expect, it } from 'vitest';
import { WorkerFailedError } from '../../src/errors.js';
import { counter, expectClose, forgedSpec, makePairs, scoresAlone, startPool, type TestPool } from './pool-fixture.js';

const { dir, spec } = await forgedSpec();
let pool: TestPool | undefined;
afterEach(async () => {
  await pool?.scorer.close();
  pool = undefined;
});

const probe = makePairs(spec, 40, 11);
const [probeAlone] = await scoresAlone(spec, [probe]);

async function expectHealthy(p: TestPool): Promise<void> {
  expectClose((await p.scorer.score(probe)).scores, probeAlone as Float32Array);
}

describe('worker failures', () => {
  it('fails the requests of a batch whose worker exits, replaces the worker and keeps serving', async () => {
    pool = await startPool(dir, spec, { workers: '2', batchWaitMs: '0' });
    pool.pool.failNextBatchForTest('exit');
    const doomed = pool.scorer.score(makePairs(spec, 5, 1));
    doomed.catch(() => undefined);
    // Dispatched after the doomed batch, so it runs on the other worker.
    await new Promise((r) => setImmediate(r));
    const bystander = pool.scorer.score(probe);
    await expect(doomed).rejects.toBeInstanceOf(WorkerFailedError);
    await expect(doomed).rejects.toMatchObject({ code: 'WORKER_FAILED', statusCode: 503 });
    expectClose((await bystander).scores, probeAlone as Float32Array);
    expect(await counter(pool.metrics.workerRestarts, { reason: 'crash' })).toBe(1);
    await expectHealthy(pool);
    await expectHealthy(pool);
  });

  // Regression: terminating a thread inside onnxruntime-node's native run aborted the whole
  // process ("terminate called after throwing an instance of 'Napi::Error'").
  it('retires a worker that overruns inside the session without terminating it mid-run', async () => {
    pool = await startPool(dir, spec, { workers: '1', batchWaitMs: '0', workerTimeoutMs: '100', maxBatchSize: '256', maxBatchTokens: '1000000' });
    const slow = pool.scorer.score(makePairs(spec, 256, 3, 600, 600));
    await expect(slow).rejects.toThrow(/over 100 ms/);
    expect(await counter(pool.metrics.workerRestarts, { reason: 'hang' })).toBe(1);
    await expectHealthy(pool);
  });

  it('replaces a worker whose batch runs past workerTimeoutMs; requests queued behind it succeed', async () => {
    pool = await startPool(dir, spec, { workers: '1', batchWaitMs: '0', workerTimeoutMs: '400' });
    pool.pool.failNextBatchForTest('hang');
    const started = performance.now();
    const hung = pool.scorer.score(makePairs(spec, 5, 2));
    hung.catch(() => undefined);
    const queued = pool.scorer.score(probe);
    await expect(hung).rejects.toBeInstanceOf(WorkerFailedError);
    await expect(hung).rejects.toThrow(/over 400 ms/);
    // Promptly: the timeout plus scheduling slack, nowhere near a hang.
    expect(performance.now() - started).toBeLessThan(10_000);
    expectClose((await queued).scores, probeAlone as Float32Array);
    expect(await counter(pool.metrics.workerRestarts, { reason: 'hang' })).toBe(1);
    await expectHealthy(pool);
  });
});
