import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import type { EncodedSequence } from '../../src/text/sequence.js';
import type { InferenceEngine } from '../../src/engine/engine.js';
import { Scheduler } from '../../src/engine/scheduler.js';
import type { BatchOutput, BatchRunner } from '../../src/engine/worker-pool.js';
import { WorkerFailedError } from '../../src/errors.js';
import { Metrics } from '../../src/metrics.js';
import { defaultEngineFactory, Service } from '../../src/service.js';
import { openStore } from '../../src/store/index.js';
import { forgedModel } from '../support/forged-model.js';
import { forgedEmbedder } from '../support/test-app.js';
import { counter, forgedModels, histogram, makeJob, startEngine, type TestEngine } from './pool-fixture.js';

/**
 * Issue 11, item 6: lifecycle races. SIGTERM during model load, failures part-way through start-up,
 * concurrent closes, a worker stuck in native code at shutdown, a bug in the batch scatter, and the
 * pace estimate after a worker is replaced.
 */
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const { dir } = await forgedModels();
let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  t = undefined;
});

const seq = (n: number): EncodedSequence[] => Array.from({ length: n }, (_, i) => ({ ids: Int32Array.from([101, 2000 + i, 102]), typeIds: new Uint8Array(3) }));

describe('start-up and shutdown (issue 11)', () => {
  it('a SIGTERM while the models load wins: never ready, exits 0', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--model', dir, '--embedding-model', 'none', '--store', 'none', '--host', '127.0.0.1', '--port', '0', '--workers', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const messages: string[] = [];
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string };
      messages.push(entry.msg);
      // The port is open and the models are loading: now.
      if (entry.msg === 'listening; loading models') child.kill('SIGTERM');
    });
    const [code] = await exited;
    expect(stderr).toBe('');
    expect(messages).not.toContain('models ready');
    expect(messages).toContain('shut down cleanly');
    expect(code).toBe(0);
  });

  it('a failure creating the cache closes the engine and the store already built, and reports failed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lifecycle-'));
    try {
      const config = buildConfig({ model: dir, embeddingModel: 'none', dataDir, store: '', workers: '1', redisUrl: 'redis://host:notaport' });
      const engines: InferenceEngine[] = [];
      let closed = 0;
      const service = new Service(config, {
        engineFactory: async (...args) => {
          const engine = await defaultEngineFactory(...args);
          engines.push(engine);
          return { models: engine.models, run: engine.run.bind(engine), chunk: engine.chunk.bind(engine), close: async () => void (closed++, await engine.close()) };
        },
      });
      await expect(service.start()).rejects.toThrow(/Invalid URL/);
      expect(engines).toHaveLength(1);
      expect(closed).toBe(1);
      expect(service.state).toBe('failed');
      // The store let go of its data directory: it opens again in this process.
      const store = await openStore(config.store, { log: { warn: () => undefined, info: () => undefined } });
      await store?.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a failure after the engine is up (a model that fails its warm-up check) closes everything too', async () => {
    const embedder = mkdtempSync(join(tmpdir(), 'bad-embedder-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'lifecycle-'));
    try {
      cpSync(await forgedEmbedder(), embedder, { recursive: true });
      const pooling = join(embedder, '1_Pooling', 'config.json');
      writeFileSync(pooling, JSON.stringify({ ...JSON.parse(readFileSync(pooling, 'utf8')), word_embedding_dimension: 999 }));
      const config = buildConfig({ model: dir, embeddingModel: embedder, dataDir, store: '', workers: '1' });
      let closed = 0;
      const service = new Service(config, {
        engineFactory: async (...args) => {
          const engine = await defaultEngineFactory(...args);
          return { models: engine.models, run: engine.run.bind(engine), chunk: engine.chunk.bind(engine), close: async () => void (closed++, await engine.close()) };
        },
      });
      await expect(service.start()).rejects.toThrow(/999/);
      expect(closed).toBe(1);
      expect(service.state).toBe('failed');
      const store = await openStore(config.store, { log: { warn: () => undefined, info: () => undefined } });
      await store?.close();
    } finally {
      rmSync(embedder, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a second close while the first is draining resolves too, engine and service alike', async () => {
    t = await startEngine(dir, { workers: '1', batchWaitMs: '0' });
    const running = t.rerank(makeJob(200, 9, 20, 120));
    await new Promise((r) => setTimeout(r, 100));
    const closes = [t.engine.close(), t.engine.close(), t.engine.close()];
    expect((await running).output).toHaveLength(200);
    await expect(Promise.all(closes)).resolves.toEqual([undefined, undefined, undefined]);
    await expect(t.rerank(makeJob(1, 3))).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    t = undefined;

    const service = new Service(buildConfig({ model: dir, embeddingModel: 'none', store: 'none', workers: '1' }));
    await service.start();
    await expect(Promise.all([service.close(), service.close()])).resolves.toEqual([undefined, undefined]);
    expect(service.state).toBe('draining');
  });

  it('closing does not wait forever for a worker stuck in native code', async () => {
    t = await startEngine(dir, { workers: '1', batchWaitMs: '0', workerTimeoutMs: '300' });
    t.failNextBatch('stuck');
    await expect(t.rerank(makeJob(3, 1))).rejects.toMatchObject({ code: 'WORKER_FAILED' });
    // The replacement serves; the stuck thread is retired, still "inside the session".
    expect((await t.rerank(makeJob(3, 2))).output).toHaveLength(3);
    const started = performance.now();
    await t.engine.close();
    t = undefined;
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('the scheduler\'s dispatch chain (issue 11)', () => {
  const metrics = (): Metrics => new Metrics(undefined, { defaultMetrics: false });
  const limits = { maxBatchSize: 8, maxBatchTokens: 1000 };
  const opts = { batchWaitMs: 0, maxQueuePairs: 1000, maxQueueMs: 60_000 };

  it('a bug while scattering a batch\'s results fails its requests with 503, never an unhandled rejection', async () => {
    let calls = 0;
    const runner: BatchRunner = {
      capacity: 1,
      run: async (): Promise<BatchOutput> => {
        calls++;
        // A runner that breaks its contract: no output array.
        if (calls === 1) return { output: undefined as unknown as Float32Array, width: 1, seconds: 0.001 };
        return { output: new Float32Array(2).fill(0.5), width: 1, seconds: 0.001 };
      },
      close: async () => undefined,
    };
    const scheduler = new Scheduler([{ label: 'reranker', role: 'reranker', limits }], runner, opts, metrics());
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const first = scheduler.submit(scheduler.reserve(0, 2), seq(2));
      await expect(first).rejects.toBeInstanceOf(WorkerFailedError);
      await expect(first).rejects.toMatchObject({ statusCode: 503, code: 'WORKER_FAILED' });
      // The scheduler carries on.
      await expect(scheduler.submit(scheduler.reserve(0, 2), seq(2))).resolves.toMatchObject({ width: 1 });
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    await scheduler.close();
  });

  it('a runner that throws instead of rejecting fails the batch with 503 and frees its slot', async () => {
    let calls = 0;
    const runner: BatchRunner = {
      capacity: 1,
      run: (): Promise<BatchOutput> => {
        if (++calls === 1) throw new Error('synchronous bug');
        return Promise.resolve({ output: new Float32Array(1), width: 1, seconds: 0.001 });
      },
      close: async () => undefined,
    };
    const scheduler = new Scheduler([{ label: 'reranker', role: 'reranker', limits }], runner, opts, metrics());
    await expect(scheduler.submit(scheduler.reserve(0, 1), seq(1))).rejects.toMatchObject({ statusCode: 503 });
    await expect(scheduler.submit(scheduler.reserve(0, 1), seq(1))).resolves.toMatchObject({ width: 1 });
    await scheduler.close();
  });
});

describe('the pace after a worker is replaced (issue 11)', () => {
  it('the scheduler paces on the worker\'s session seconds: a slow first batch (a model load) causes no 429s', async () => {
    // A runner whose first batch takes 400 ms of wall time (a replacement loading its model) of which
    // 2 ms were inference, as the worker reports. At a wall-time pace the requests below would look
    // like seconds of work against a 100 ms bound and be refused.
    let first = true;
    const runner: BatchRunner = {
      capacity: 1,
      run: async (_model, sequences): Promise<BatchOutput> => {
        if (first) await new Promise((r) => setTimeout(r, 400));
        first = false;
        return { output: new Float32Array(sequences.length), width: 1, seconds: 0.002 };
      },
      close: async () => undefined,
    };
    const metrics = new Metrics(undefined, { defaultMetrics: false });
    const scheduler = new Scheduler([{ label: 'reranker', role: 'reranker', limits: { maxBatchSize: 8, maxBatchTokens: 1000 } }], runner, { batchWaitMs: 0, maxQueuePairs: 1000, maxQueueMs: 100 }, metrics);
    await scheduler.submit(scheduler.reserve(0, 5), seq(5));
    const reservations = [scheduler.reserve(0, 20), scheduler.reserve(0, 20), scheduler.reserve(0, 20)];
    await Promise.all(reservations.map((r) => scheduler.submit(r, seq(20))));
    expect(await counter(metrics.rejections, { reason: 'queue_full' })).toBe(0);
    await scheduler.close();
  });

  it('a replacement worker reports the session time of its first batch, not its model load', async () => {
    t = await startEngine(dir, { workers: '1', batchWaitMs: '0' });
    t.failNextBatch('exit', 2);
    await expect(t.rerank(makeJob(5, 1))).rejects.toMatchObject({ code: 'WORKER_FAILED' });
    const before = await histogram(t.metrics.stageDuration, { stage: 'inference' });
    // One batch (documents of one length) on the replacement, which is still loading its session.
    const result = await t.rerank(makeJob(5, 2, 6, 6));
    const after = await histogram(t.metrics.stageDuration, { stage: 'inference' });
    expect(after.count - before.count).toBe(1);
    // The request waited for the load (its wall time); the pace sees only the session's run.
    expect(after.sum - before.sum).toBeLessThan(result.timings.inference / 2);
  });
});
