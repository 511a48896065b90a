import { afterEach, describe, expect, it } from 'vitest';
import { DeadlineExceededError, OverloadedError } from '../../src/errors.js';
import { ClientClosedRequestError } from '../../src/errors.js';
import { counter, expectClose, forgedSpec, histogram, makePairs, scoresAlone, startPool, type TestPool } from './pool-fixture.js';

const { dir, spec } = await forgedSpec();
let pool: TestPool | undefined;
afterEach(async () => {
  await pool?.scorer.close();
  pool = undefined;
});

describe('the batching scorer on a real worker pool', () => {
  it('merges pairs of concurrent requests into shared batches', async () => {
    pool = await startPool(dir, spec, { workers: '1', batchWaitMs: '200' });
    const requests = Array.from({ length: 8 }, (_, i) => makePairs(spec, 3, i + 1));
    // Submitted in one tick: the partial batch waits for all of them, and the planner then cuts the
    // 24 pairs by length, so batches mix requests: fewer batches than requests proves the merge.
    await Promise.all(requests.map((r) => pool!.scorer.score(r)));
    const batches = await histogram(pool.metrics.batchPairs);
    expect(batches.sum).toBe(24);
    expect(batches.count).toBeLessThan(requests.length);
    expect(await counter(pool.metrics.pairsScored)).toBe(24);
    expect((await histogram(pool.metrics.stageDuration, { stage: 'queue_wait' })).count).toBe(8);
  });

  it('scatters every score back to its request: each equals the request scored alone', async () => {
    pool = await startPool(dir, spec, { workers: '2', batchWaitMs: '5', maxBatchSize: '32' });
    const requests = [makePairs(spec, 1000, 7, 1, 120), ...Array.from({ length: 6 }, (_, i) => makePairs(spec, 1 + i * 9, 100 + i))];
    const expected = await scoresAlone(spec, requests);
    const results = await Promise.all(requests.map((r) => pool!.scorer.score(r)));
    results.forEach((r, i) => expectClose(r.scores, expected[i] as Float32Array));
    const batches = await histogram(pool.metrics.batchPairs);
    expect(batches.sum).toBe(requests.reduce((a, r) => a + r.length, 0));
    // The big request alone needs at least 1000/32 batches; none may pass the size limit.
    expect(batches.count).toBeGreaterThanOrEqual(32);
    const { values } = await pool.metrics.batchPairs.get();
    expect(values.find((v) => v.metricName?.endsWith('_bucket') && v.labels['le'] === 32)?.value).toBe(batches.count);
    expect(results[0]?.queueSeconds).toBeGreaterThanOrEqual(0);
    expect(results[0]?.inferenceSeconds).toBeGreaterThan(0);
    expect((await pool.metrics.queueDepthPairs.get()).values[0]?.value).toBe(0);
  });

  it('refuses a request that would overfill the queue with 429, and loses none of the admitted work', async () => {
    pool = await startPool(dir, spec, { workers: '1', batchWaitMs: '100', maxQueuePairs: '20' });
    // Pairs of one length fit one batch together, so both requests wait in the queue for batchWaitMs.
    const admitted = [makePairs(spec, 12, 1, 5, 5), makePairs(spec, 8, 2, 5, 5)];
    const expected = await scoresAlone(spec, admitted);
    const running = admitted.map((r) => pool!.scorer.score(r));
    expect((await pool.metrics.queueDepthPairs.get()).values[0]?.value).toBe(20);
    const refused = pool.scorer.score(makePairs(spec, 1, 3));
    await expect(refused).rejects.toBeInstanceOf(OverloadedError);
    await expect(refused).rejects.toMatchObject({ code: 'OVERLOADED', statusCode: 429, retryAfter: expect.any(Number) });
    await expect(pool.scorer.score(makePairs(spec, 21, 4))).rejects.toThrow(/more than the queue holds/);
    const results = await Promise.all(running);
    results.forEach((r, i) => expectClose(r.scores, expected[i] as Float32Array));
    expect(await counter(pool.metrics.rejections, { reason: 'queue_full' })).toBe(2);
    expect(await counter(pool.metrics.pairsScored)).toBe(20);
  });

  it('refuses a request that arrives behind more than --max-queue-ms of work at the recent pace', async () => {
    pool = await startPool(dir, spec, { workers: '1', batchWaitMs: '0', maxQueueMs: '50' });
    // One request first, so the pool knows its pace; then a backlog of many batches.
    await pool.scorer.score(makePairs(spec, 40, 5));
    const backlog = pool.scorer.score(makePairs(spec, 400, 6));
    const refused = pool.scorer.score(makePairs(spec, 1, 7));
    await expect(refused).rejects.toMatchObject({ code: 'OVERLOADED', statusCode: 429 });
    await expect(backlog).resolves.toMatchObject({ scores: expect.any(Float32Array) });
    // Once the backlog has drained, the same small request is served.
    await expect(pool.scorer.score(makePairs(spec, 1, 7))).resolves.toMatchObject({ scores: expect.any(Float32Array) });
    expect(await counter(pool.metrics.rejections, { reason: 'queue_full' })).toBe(1);
  });

  it('drops the queued pairs of a request whose deadline passes, and of one whose client left', async () => {
    pool = await startPool(dir, spec, { workers: '1', batchWaitMs: '0' });
    // Long pairs keep the only worker busy for a while, so the next requests wait in the queue.
    const busy = makePairs(spec, 400, 5, 200, 400);
    const late = makePairs(spec, 10, 6);
    const gone = makePairs(spec, 10, 7);
    const busyRun = pool.scorer.score(busy);
    const deadline = new AbortController();
    const client = new AbortController();
    const lateRun = pool.scorer.score(late, deadline.signal);
    const goneRun = pool.scorer.score(gone, client.signal);
    setTimeout(() => deadline.abort(new DeadlineExceededError()), 30);
    setTimeout(() => client.abort(new ClientClosedRequestError()), 30);
    await expect(lateRun).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(goneRun).rejects.toBeInstanceOf(ClientClosedRequestError);
    expect((await busyRun).scores).toHaveLength(400);
    expect(await counter(pool.metrics.pairsScored)).toBe(400);
    expect(await counter(pool.metrics.rejections, { reason: 'deadline' })).toBe(1);
    expect(await counter(pool.metrics.rejections, { reason: 'client_gone' })).toBe(1);
    // An already-aborted signal never enters the queue.
    await expect(pool.scorer.score(late, AbortSignal.abort(new DeadlineExceededError()))).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(await counter(pool.metrics.rejections, { reason: 'deadline' })).toBe(2);
  });

  it('finishes queued and running work on close, then refuses new work', async () => {
    pool = await startPool(dir, spec, { workers: '1', batchWaitMs: '0' });
    const running = pool.scorer.score(makePairs(spec, 200, 9, 20, 120));
    const closed = pool.scorer.close();
    await expect(pool.scorer.score(makePairs(spec, 1, 1))).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    expect((await running).scores).toHaveLength(200);
    await closed;
    pool = undefined;
  });
});
