import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { EngineSettings } from '../config.js';
import type { Metrics } from '../metrics.js';
import { PoolEngine, type EngineModel, type InferenceEngine } from './engine.js';
import { LocalEngine } from './local-engine.js';
import { unpackBatch } from './packed-batch.js';
import { availableMemory, poolShape, WORKER_BYTES_PER_MODEL_BYTE } from './pool-shape.js';
import { Scheduler } from './scheduler.js';
import { TokenizerPool } from './tokenizer-pool.js';
import { WorkerPool } from './worker-pool.js';

/**
 * What the engine is run with: the config's engine section (one EngineSettings, config.ts) and the
 * ONNX Runtime intra-op threads per worker (undefined derives them).
 */
export type EngineRunSettings = Omit<EngineSettings, 'requestTimeoutMs'> & { threads: number | undefined };

/**
 * Tokenizer threads by default: one per four cores, at least one. Tokenizing costs a few percent of
 * inference per sequence, so a thread keeps up with several inference workers.
 */
export function tokenizerThreads(setting: number | undefined, cpus = availableParallelism()): number {
  return setting ?? Math.max(1, Math.min(4, Math.floor(cpus / 4)));
}

/** What one worker's sessions take in memory, estimated from the ONNX files it loads. */
export function workerBytes(models: readonly EngineModel[]): number {
  return models.reduce((sum, m) => sum + statSync(m.session.onnxPath).size * WORKER_BYTES_PER_MODEL_BYTE, 0);
}

/**
 * The engine the settings ask for. Every worker loads every model and runs each once before this
 * resolves, so a broken model fails start-up and no request pays a worker's first-run set-up.
 */
export async function createEngine(models: readonly EngineModel[], settings: EngineRunSettings, metrics: Metrics): Promise<InferenceEngine> {
  if (settings.workers === 0) {
    const engine = await LocalEngine.create(models, settings.threads, metrics);
    for (const m of models) await engine.run(m.id, m.warmUp);
    return engine;
  }
  return (await createPoolEngine(models, settings, metrics)).engine;
}

/** The pool engine and its worker pool; `workerScript` swaps the worker entry (the failure tests wrap the real one). */
export async function createPoolEngine(
  models: readonly EngineModel[],
  settings: EngineRunSettings,
  metrics: Metrics,
  opts: { workerScript?: string | undefined } = {},
): Promise<{ engine: PoolEngine; pool: WorkerPool }> {
  const shape = poolShape({ workers: settings.workers, threads: settings.threads }, undefined, { perWorkerBytes: workerBytes(models), availableBytes: availableMemory() });
  const pool = new WorkerPool({
    models: models.map((m) => ({ ...m.session, threads: shape.threadsPerWorker })),
    workers: shape.workers,
    workerTimeoutMs: settings.workerTimeoutMs,
    metrics,
    workerScript: opts.workerScript,
  });
  const tokenizers = new TokenizerPool(
    models.map((m) => m.encoder),
    tokenizerThreads(settings.tokenizerThreads),
  );
  const scheduler = new Scheduler(models, pool, settings, metrics);
  const engine = new PoolEngine(models, tokenizers, scheduler, metrics);
  try {
    for (const [index, model] of models.entries()) {
      const warm = await tokenizers.encode(index, model.warmUp);
      // The pool runs at most one batch per worker, and piscina gives each to an idle one.
      await Promise.all(Array.from({ length: pool.capacity }, () => pool.run(index, unpackBatch(warm))));
    }
  } catch (err) {
    await engine.close();
    throw err;
  }
  return { engine, pool };
}
