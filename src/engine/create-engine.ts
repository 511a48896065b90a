import { availableParallelism } from 'node:os';
import type { EngineSettings } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { PoolEngine, type EngineModel, type InferenceEngine } from './engine.js';
import { LocalEngine } from './local-engine.js';
import { unpackBatch } from './packed-batch.js';
import { availableMemory, poolShape, WORKER_MEMORY_SHARE } from './pool-shape.js';
import { Scheduler } from './scheduler.js';
import { TokenizerPool } from './tokenizer-pool.js';
import { WorkerPool } from './worker-pool.js';
import { laneOf, workerLanes, type WorkerLane } from './worker-lanes.js';

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

/** What one worker's sessions take in memory, estimated from the ONNX files it loads (external data included). */
export function workerBytes(models: readonly EngineModel[]): number {
  return models.reduce((sum, m) => sum + m.memoryBytes, 0);
}

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`;

/**
 * Refuses a start whose workers cannot hold their models (issue 21): each worker holds a session of
 * every model of its lane, and every lane has `workers` of them, so the need is workers x the sum
 * over all models; the message says what each model needs and what would fit instead (fewer workers,
 * int8, fewer models), rather than letting the kernel's OOM killer end the process halfway through
 * loading.
 */
export function checkFits(models: readonly EngineModel[], lanes: readonly WorkerLane[], budget: number, setByFlag: boolean): void {
  const need = lanes.reduce((sum, lane) => sum + lane.workers * workerBytes(lane.models.map((i) => models[i] as EngineModel)), 0);
  if (need <= budget) return;
  const perWorker = workerBytes(models);
  const each = models.map((m) => `${m.label} ${gb(m.memoryBytes)}`).join(', ');
  const workers = lanes[0]?.workers ?? 0;
  const fits = Math.floor(budget / perWorker);
  const fp32 = models.filter((m) => m.precision === 'fp32').map((m) => m.label);
  const advice = [
    fits >= 1 ? `--workers ${fits} (${gb(fits * perWorker)})` : undefined,
    fp32.length > 0 ? `int8 for ${fp32.join(', ')} (--precision int8: about a third to a half of the fp32 memory)` : undefined,
    models.length > 1 ? 'fewer models' : undefined,
    setByFlag ? 'a larger --worker-memory-bytes' : 'a machine or container with more memory (or --worker-memory-bytes, if more of it may go to the workers)',
  ].filter((a) => a !== undefined);
  const holding =
    lanes.length === 1
      ? `each inference worker holds every model (${each}: ${gb(perWorker)} per worker), and ${workers} worker${workers === 1 ? '' : 's'} ${workers === 1 ? 'needs' : 'need'}`
      : `the decoders have workers of their own beside the other models' (${each}; each worker holds its own lane's models), and ${workers} worker${workers === 1 ? '' : 's'} in each of the ${lanes.length} lanes need`;
  throw new ConfigError(
    `The models do not fit in memory: ${holding} ${gb(need)}, over the ${gb(budget)} the workers may take (${setByFlag ? '--worker-memory-bytes' : "half of this machine's or container's memory"}). What would fit: ${advice.join('; ')}.`,
  );
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
  const budget = settings.workerMemoryBytes ?? availableMemory() * WORKER_MEMORY_SHARE;
  const shape = poolShape({ workers: settings.workers, threads: settings.threads }, undefined, { perWorkerBytes: workerBytes(models), availableBytes: budget / WORKER_MEMORY_SHARE });
  const lanes = workerLanes(models, shape.workers);
  checkFits(models, lanes, budget, settings.workerMemoryBytes !== undefined);
  const pool = new WorkerPool({
    models: models.map((m) => ({ ...m.session, threads: shape.threadsPerWorker })),
    lanes,
    workerTimeoutMs: settings.workerTimeoutMs,
    metrics,
    workerScript: opts.workerScript,
  });
  // Beside a decoder, a cheap request's tokens must not wait behind the decoder's compute threads either.
  const tokenizers = new TokenizerPool(
    models.map((m) => m.encoder),
    tokenizerThreads(settings.tokenizerThreads),
    Math.min(...lanes.map((l) => l.nice)),
  );
  const scheduler = new Scheduler(models, pool, settings, metrics);
  const engine = new PoolEngine(models, tokenizers, scheduler, metrics);
  try {
    for (const [index, model] of models.entries()) {
      const warm = await tokenizers.encode(index, model.warmUp);
      // The pool runs at most one batch per worker, and piscina gives each to an idle one.
      await Promise.all(Array.from({ length: lanes[laneOf(lanes, index)]?.workers ?? 0 }, () => pool.run(index, unpackBatch(warm))));
    }
  } catch (err) {
    await engine.close();
    throw err;
  }
  return { engine, pool };
}
