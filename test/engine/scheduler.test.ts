import { afterEach, describe, expect, it } from 'vitest';
import { ClientClosedRequestError, DeadlineExceededError, OverloadedError } from '../../src/errors.js';
import { counter, expectClose, forgedModels, histogram, makeJob, scoresAlone, startEngine, type TestEngine } from './pool-fixture.js';
import { textCount } from '../../src/text/packed-texts.js';

const { dir, models } = await forgedModels();
let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  t = undefined;
});

describe('the scheduler on a real worker pool', () => {
  it('merges pairs of concurrent requests into shared batches', async () => {
    t = await startEngine(dir, { workers: '1', batchWaitMs: '200' });
    const jobs = Array.from({ length: 8 }, (_, i) => makeJob(3, i + 1));
    // Submitted together: the partial batch waits for all of them, and the planner then cuts the
    // 24 pairs by length, so batches mix requests: fewer batches than requests proves the merge.
    await Promise.all(jobs.map((j) => t!.rerank(j)));
    const batches = await histogram(t.metrics.batchPairs);
    expect(batches.sum).toBe(24);
    expect(batches.count).toBeLessThan(jobs.length);
    expect(await counter(t.metrics.pairsScored, { model: 'reranker' })).toBe(24);
    expect((await histogram(t.metrics.stageDuration, { stage: 'queue_wait', model: 'reranker' })).count).toBe(8);
    expect((await histogram(t.metrics.stageDuration, { stage: 'tokenize', model: 'reranker' })).count).toBe(8);
  });

  it('scatters every score back to its request: each equals the request scored alone', async () => {
    t = await startEngine(dir, { workers: '2', batchWaitMs: '5', maxBatchSize: '32' });
    const jobs = [makeJob(1000, 7, 1, 120), ...Array.from({ length: 6 }, (_, i) => makeJob(1 + i * 9, 100 + i))];
    const expected = await scoresAlone(models, jobs);
    const results = await Promise.all(jobs.map((j) => t!.rerank(j)));
    results.forEach((r, i) => expectClose(r.output, expected[i] as Float32Array));
    const batches = await histogram(t.metrics.batchPairs);
    expect(batches.sum).toBe(jobs.reduce((a, j) => a + textCount(j.documents), 0));
    // The big request alone needs at least 1000/32 batches; none may pass the size limit.
    expect(batches.count).toBeGreaterThanOrEqual(32);
    const { values } = await t.metrics.batchPairs.get();
    expect(values.find((v) => v.metricName?.endsWith('_bucket') && (v.labels as Record<string, unknown>)['le'] === 32)?.value).toBe(batches.count);
    expect(results[0]?.timings.queue_wait).toBeGreaterThanOrEqual(0);
    expect(results[0]?.timings.inference).toBeGreaterThan(0);
    expect(results[0]?.tokens).toBeGreaterThan(1000);
    expect((await t.metrics.queueDepthPairs.get()).values[0]?.value).toBe(0);
  });

  it('refuses a request that would overfill the queue with 429, and loses none of the admitted work', async () => {
    t = await startEngine(dir, { workers: '1', batchWaitMs: '300', maxQueuePairs: '20' });
    // Documents of one length fit one batch together, so both requests wait in the queue for batchWaitMs.
    const admitted = [makeJob(12, 1, 5, 5), makeJob(8, 2, 5, 5)];
    const expected = await scoresAlone(models, admitted);
    const running = admitted.map((j) => t!.rerank(j));
    // Admission holds their room from the start, while they are still being tokenized.
    const refused = t.rerank(makeJob(1, 3));
    await expect(refused).rejects.toBeInstanceOf(OverloadedError);
    await expect(refused).rejects.toMatchObject({ code: 'OVERLOADED', statusCode: 429, retryAfter: expect.any(Number) });
    await expect(t.rerank(makeJob(21, 4))).rejects.toThrow(/more than the queue holds/);
    const results = await Promise.all(running);
    results.forEach((r, i) => expectClose(r.output, expected[i] as Float32Array));
    expect(await counter(t.metrics.rejections, { reason: 'queue_full' })).toBe(2);
    expect(await counter(t.metrics.pairsScored)).toBe(20);
  });

  it('refuses a request that arrives behind more than --max-queue-ms of work at the recent pace', async () => {
    // The forged model is small: on a fast CPU 400 pairs are ~40 ms of work, so a bound of 50 ms
    // did not always refuse; at 1 ms the backlog is over it on any machine.
    t = await startEngine(dir, { workers: '1', batchWaitMs: '0', maxQueueMs: '1' });
    // One request first, so the pool knows its pace; then a backlog of many batches.
    await t.rerank(makeJob(40, 5));
    const backlog = t.rerank(makeJob(400, 6));
    const refused = t.rerank(makeJob(1, 7));
    await expect(refused).rejects.toMatchObject({ code: 'OVERLOADED', statusCode: 429 });
    await expect(backlog).resolves.toMatchObject({ output: expect.any(Float32Array) });
    // Once the backlog has drained, the same small request is served.
    await expect(t.rerank(makeJob(1, 7))).resolves.toMatchObject({ output: expect.any(Float32Array) });
    expect(await counter(t.metrics.rejections, { reason: 'queue_full' })).toBe(1);
  });

  it('drops the queued pairs of a request whose deadline passes, and of one whose client left', async () => {
    t = await startEngine(dir, { workers: '1', batchWaitMs: '0', workerTimeoutMs: '1500' });
    // A batch that hangs holds the only worker, so the next requests wait in the queue.
    t.failNextBatch('hang');
    const hung = t.rerank(makeJob(1, 5));
    hung.catch(() => undefined);
    const deadline = new AbortController();
    const client = new AbortController();
    const lateRun = t.rerank(makeJob(10, 6), deadline.signal);
    const goneRun = t.rerank(makeJob(10, 7), client.signal);
    while ((await histogram(t.metrics.stageDuration, { stage: 'tokenize' })).count < 3) await new Promise((r) => setTimeout(r, 5));
    expect((await t.metrics.queueDepthPairs.get()).values[0]?.value).toBe(20);
    deadline.abort(new DeadlineExceededError());
    client.abort(new ClientClosedRequestError());
    await expect(lateRun).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(goneRun).rejects.toBeInstanceOf(ClientClosedRequestError);
    expect((await t.metrics.queueDepthPairs.get()).values[0]?.value).toBe(0);
    await expect(hung).rejects.toMatchObject({ code: 'WORKER_FAILED' });
    // None of their pairs reached a worker.
    expect(await counter(t.metrics.pairsScored)).toBe(0);
    expect(await counter(t.metrics.rejections, { reason: 'deadline' })).toBe(1);
    expect(await counter(t.metrics.rejections, { reason: 'client_gone' })).toBe(1);
    // An already-aborted signal never reaches the queue.
    await expect(t.rerank(makeJob(10, 6), AbortSignal.abort(new DeadlineExceededError()))).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('finishes queued and running work on close, then refuses new work', async () => {
    t = await startEngine(dir, { workers: '1', batchWaitMs: '0' });
    const running = t.rerank(makeJob(200, 9, 20, 120));
    // Let its tokenization finish first, so it is queued when close begins.
    await new Promise((r) => setTimeout(r, 100));
    const closed = t.engine.close();
    await expect(t.rerank(makeJob(1, 1))).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    expect((await running).output).toHaveLength(200);
    await closed;
    t = undefined;
  });
});
