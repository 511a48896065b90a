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

/**
 * Fair sharing of one pool between a long-batch model (a decoder LLM: seconds a batch) and others
 * (issue 21). Batches cannot be pre-empted, so a cheap request that finds every worker inside an
 * LLM batch waits seconds for a reply that takes milliseconds. With such a model among others, the
 * pool gets one worker more than the cores call for, and each long-batch model may run on at most
 * as many workers as the cores call for: the extra one is always there for the others, and the
 * LLM still uses every core when it runs alone. When both run, the cores are shared by the OS
 * (one more thread than cores). Measured in `npm run bench -- --only fairness` (BENCHMARKS.md).
 * The extra worker holds every model too, and counts against the memory bound.
 */
export function fairShare(models: readonly EngineModel[], workers: number): { workers: number; maxInFlight: (number | undefined)[] } {
  const mixed = models.length > 1 && models.some((m) => m.longBatches) && models.some((m) => !m.longBatches);
  if (!mixed) return { workers, maxInFlight: models.map(() => undefined) };
  return { workers: workers + 1, maxInFlight: models.map((m) => (m.longBatches ? workers : undefined)) };
}

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`;

/**
 * Refuses a start whose workers cannot hold their models (issue 21): every worker holds a session of
 * every model, so the need is workers x the sum; the message says what each model needs and what
 * would fit instead (fewer workers, int8, fewer models), rather than letting the kernel's OOM killer
 * end the process halfway through loading.
 */
export function checkFits(models: readonly EngineModel[], workers: number, budget: number, setByFlag: boolean, spare = 0): void {
  const perWorker = workerBytes(models);
  if (workers * perWorker <= budget) return;
  const each = models.map((m) => `${m.label} ${gb(m.memoryBytes)}`).join(', ');
  // The spare worker fair sharing adds (fairShare) comes on top of whatever --workers says.
  const fits = Math.floor(budget / perWorker) - spare;
  const fp32 = models.filter((m) => m.precision === 'fp32').map((m) => m.label);
  const advice = [
    fits >= 1 ? `--workers ${fits} (${gb((fits + spare) * perWorker)})` : undefined,
    fp32.length > 0 ? `int8 for ${fp32.join(', ')} (--precision int8: about a third to a half of the fp32 memory)` : undefined,
    models.length > 1 ? 'fewer models' : undefined,
    setByFlag ? 'a larger --worker-memory-bytes' : 'a machine or container with more memory (or --worker-memory-bytes, if more of it may go to the workers)',
  ].filter((a) => a !== undefined);
  throw new ConfigError(
    `The models do not fit in memory: each inference worker holds every model (${each}: ${gb(perWorker)} per worker), and ${workers} worker${workers === 1 ? '' : 's'}${spare > 0 ? ` (${spare} of them kept for the other models beside the decoder)` : ''} ${workers === 1 ? 'needs' : 'need'} ${gb(workers * perWorker)}, over the ${gb(budget)} the workers may take (${setByFlag ? '--worker-memory-bytes' : "half of this machine's or container's memory"}). What would fit: ${advice.join('; ')}.`,
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
  const share = fairShare(models, shape.workers);
  checkFits(models, share.workers, budget, settings.workerMemoryBytes !== undefined, share.workers - shape.workers);
  const pool = new WorkerPool({
    models: models.map((m) => ({ ...m.session, threads: shape.threadsPerWorker })),
    workers: share.workers,
    workerTimeoutMs: settings.workerTimeoutMs,
    metrics,
    workerScript: opts.workerScript,
  });
  const tokenizers = new TokenizerPool(
    models.map((m) => m.encoder),
    tokenizerThreads(settings.tokenizerThreads),
  );
  const scheduler = new Scheduler(models.map((m, i) => ({ ...m, maxInFlight: share.maxInFlight[i] })), pool, settings, metrics);
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
