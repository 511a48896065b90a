import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Metrics } from '../metrics.js';
import type { EncodeJob } from './encode-job.js';
import { PoolEngine, type EngineModel, type InferenceEngine } from './engine.js';
import { LocalEngine } from './local-engine.js';
import { unpackBatch } from './packed-batch.js';
import { availableMemory, poolShape, WORKER_BYTES_PER_MODEL_BYTE } from './pool-shape.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { TokenizerPool } from './tokenizer-pool.js';
import { WorkerPool } from './worker-pool.js';

export interface EngineSettings extends SchedulerOptions {
  /** Inference workers; undefined derives it from the CPU count; 0 runs everything on the main thread. */
  workers: number | undefined;
  /** ONNX Runtime intra-op threads per worker; undefined derives it. */
  threads: number | undefined;
  /** Tokenizer threads; undefined derives it. */
  tokenizerThreads: number | undefined;
  workerTimeoutMs: number;
}

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

/** A tiny job per model, run once on every worker before the engine is handed out. */
export function warmUpJob(model: EngineModel): EncodeJob {
  return model.tokenizer.kind === 'pairs'
    ? { kind: 'pairs', query: 'warm up', documents: ['warm up the session'], truncation: { direction: 'right', truncate: true } }
    : { kind: 'texts', texts: ['warm up the session'], truncation: { direction: 'right', truncate: true } };
}

/**
 * The engine the settings ask for. Every worker loads every model and runs each once before this
 * resolves, so a broken model fails start-up and no request pays a worker's first-run set-up.
 */
export async function createEngine(models: readonly EngineModel[], settings: EngineSettings, metrics: Metrics): Promise<InferenceEngine> {
  if (settings.workers === 0) {
    const engine = await LocalEngine.create(models, settings.threads, metrics);
    for (const m of models) await engine.run(m.role, warmUpJob(m));
    return engine;
  }
  return (await createPoolEngine(models, settings, metrics)).engine;
}

/** The pool engine and its worker pool (tests reach the pool to inject faults). */
export async function createPoolEngine(models: readonly EngineModel[], settings: EngineSettings, metrics: Metrics): Promise<{ engine: PoolEngine; pool: WorkerPool }> {
  const shape = poolShape({ workers: settings.workers, threads: settings.threads }, undefined, { perWorkerBytes: workerBytes(models), availableBytes: availableMemory() });
  const pool = new WorkerPool({
    models: models.map((m) => ({ ...m.session, threads: shape.threadsPerWorker })),
    workers: shape.workers,
    workerTimeoutMs: settings.workerTimeoutMs,
    metrics,
  });
  const tokenizers = new TokenizerPool(
    models.map((m) => m.tokenizer),
    tokenizerThreads(settings.tokenizerThreads),
  );
  const scheduler = new Scheduler(models, pool, settings, metrics);
  const engine = new PoolEngine(models, tokenizers, scheduler, metrics);
  try {
    for (const [index, model] of models.entries()) {
      const warm = await tokenizers.encode(index, warmUpJob(model));
      // The pool runs at most one batch per worker, and piscina gives each to an idle one.
      await Promise.all(Array.from({ length: pool.capacity }, () => pool.run(index, unpackBatch(warm))));
    }
  } catch (err) {
    await engine.close();
    throw err;
  }
  return { engine, pool };
}
