import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

export interface PoolShape {
  workers: number;
  /** ONNX Runtime intra-op threads per worker. */
  threadsPerWorker: number;
}

/** Memory the default pool may fill with workers; the rest is the main thread's, the cache's and the OS's. */
export const WORKER_MEMORY_SHARE = 0.5;

/**
 * Memory one worker adds, per byte of the ONNX files it loads: its sessions hold the weights,
 * ONNX Runtime's pre-packed copies of the GEMM weights, and an arena for activations. Measured
 * (forged MiniLM-L6, one session after a 10 x 76-token batch): fp32 +151 MB for a 91 MB file
 * (1.7x), int8 +102-109 MB for a 59 MB file (1.8x); the service's RSS at 1 and 2 workers
 * agrees within its noise (+144-211 MB fp32, +51-203 MB int8). 2 leaves room for the worker
 * thread's own heap.
 */
export const WORKER_BYTES_PER_MODEL_BYTE = 2;

/**
 * Workers and intra-op threads when the settings leave them open: one single-threaded worker per
 * core, as many as memory allows. Measured on 2 cores with a MiniLM-L6-shaped model (bench runs
 * interleaved): 2 workers x 1 thread matched 1 worker x 2 threads on a quiet machine (54 against 53
 * pairs/s) and led whenever other processes shared the cores (28 against 14). Intra-op threads of
 * one small batch meet at a barrier in every layer and spin while they wait, so one descheduled
 * thread stalls the batch; separate workers never wait on each other, and the batcher splits even
 * one large request across them. On 16 Intel cores (ONNX Runtime alone, 10 x 76-token batches,
 * pinned) 16 single-threaded workers beat 8 x 2 threads (1,064 against 965 pairs/s fp32, 2,772
 * against 2,606 int8) and one 16-thread session by 2x, so there is no fixed cap on workers. The
 * cap is memory: each worker holds its own copy of the weights (`perWorkerBytes`), and the
 * workers together may take WORKER_MEMORY_SHARE of the machine's (or container's) memory; cores
 * left over become intra-op threads.
 */
export function poolShape(
  settings: { workers: number | undefined; threads: number | undefined },
  cpus = availableParallelism(),
  memory: { perWorkerBytes: number; availableBytes: number } | undefined = undefined,
): PoolShape {
  if (settings.workers !== undefined && settings.threads !== undefined) return { workers: settings.workers, threadsPerWorker: settings.threads };
  if (settings.workers !== undefined) return { workers: settings.workers, threadsPerWorker: Math.max(1, Math.floor(cpus / settings.workers)) };
  if (settings.threads !== undefined) return { workers: Math.max(1, Math.floor(cpus / settings.threads)), threadsPerWorker: settings.threads };
  const byMemory = memory === undefined || memory.perWorkerBytes <= 0 ? Infinity : Math.floor((memory.availableBytes * WORKER_MEMORY_SHARE) / memory.perWorkerBytes);
  const workers = Math.max(1, Math.min(cpus, byMemory));
  return { workers, threadsPerWorker: Math.max(1, Math.floor(cpus / workers)) };
}

/** The machine's memory, or the container's limit when cgroup v2 or v1 sets a smaller one. */
export function availableMemory(): number {
  let bytes = totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const limit = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(limit) && limit > 0) bytes = Math.min(bytes, limit);
    } catch {
      // No such cgroup file: not in a container, or another cgroup version.
    }
  }
  return bytes;
}
