import { availableParallelism } from 'node:os';

export interface PoolShape {
  workers: number;
  /** ONNX Runtime intra-op threads per worker. */
  threadsPerWorker: number;
}

/** Past this many workers, session memory grows faster than throughput (see below). */
const MAX_DEFAULT_WORKERS = 8;

/**
 * Workers and intra-op threads when the settings leave them open: one single-threaded worker per
 * core. Measured on 2 cores with a MiniLM-L6-shaped model (bench runs interleaved): 2 workers x 1
 * thread matched 1 worker x 2 threads on a quiet machine (54 against 53 pairs/s) and led whenever
 * other processes shared the cores (28 against 14). Intra-op threads of one small batch meet at a
 * barrier in every layer and spin while they wait, so one descheduled thread stalls the batch;
 * separate workers never wait on each other, and the batcher splits even one large request across
 * them. Each worker holds its own copy of the weights (90 MB for MiniLM-L6, over 1 GB for large
 * rerankers), so past 8 workers the remaining cores become intra-op threads instead.
 */
export function poolShape(settings: { workers: number | undefined; threads: number | undefined }, cpus = availableParallelism()): PoolShape {
  if (settings.workers !== undefined && settings.threads !== undefined) return { workers: settings.workers, threadsPerWorker: settings.threads };
  if (settings.workers !== undefined) return { workers: settings.workers, threadsPerWorker: Math.max(1, Math.floor(cpus / settings.workers)) };
  if (settings.threads !== undefined) return { workers: Math.max(1, Math.floor(cpus / settings.threads)), threadsPerWorker: settings.threads };
  const workers = Math.max(1, Math.min(cpus, MAX_DEFAULT_WORKERS));
  return { workers, threadsPerWorker: Math.max(1, Math.floor(cpus / workers)) };
}
