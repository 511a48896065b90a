import { COMPUTE_THREAD_NICE } from './thread-priority.js';

/**
 * A set of inference workers that serve some of the engine's models at one thread priority. Each
 * worker of a lane holds a session of each of the lane's models, and of no other.
 */
export interface WorkerLane {
  /** Indices of the engine's models this lane runs. */
  models: number[];
  workers: number;
  /** The Linux nice value of its threads (and of the ONNX Runtime threads they start). */
  nice: number;
}

/**
 * Nice of the interactive lane beside a decoder. Above COMPUTE_THREAD_NICE, so that the kernel gives
 * its threads ~7x the CPU of a decoder's (weights 110 and 15), yet below the main thread's 0 (weight
 * 1024), which must still pre-empt them to answer probes (the /health p99 measured at nice 10 for
 * every compute thread: 14.6 ms, against 58.5 ms at nice 0; engine/thread-priority.ts).
 */
export const INTERACTIVE_NICE = 10;

/**
 * Fair sharing of the cores between a long-batch model (a decoder LLM: seconds a batch) and others
 * (issue 21). A batch cannot be pre-empted by the service, but a thread can be by the kernel: with
 * such a model among others, the models split into two lanes of `workers` each. The decoders'
 * lane runs at nice COMPUTE_THREAD_NICE, the others' at INTERACTIVE_NICE. A cheap request then
 * never waits for an LLM batch to end (it has workers of its own) and its threads take the cores
 * from the LLM's while they run; when it is idle the LLM has every core, and when the LLM is idle
 * the cheap models have every core too. Memory is what one lane of every model would take: each
 * worker holds only its lane's models. Lowering a thread's priority needs no privilege; raising it
 * back would, so a worker's lane, not its batch, sets its priority. Measured in
 * `npm run bench -- --only fairness` (BENCHMARKS.md).
 */
export function workerLanes(models: readonly { longBatches: boolean }[], workers: number): WorkerLane[] {
  const all = models.map((_, i) => i);
  const long = all.filter((i) => models[i]?.longBatches === true);
  if (long.length === 0 || long.length === models.length) return [{ models: all, workers, nice: COMPUTE_THREAD_NICE }];
  return [
    { models: all.filter((i) => !long.includes(i)), workers, nice: INTERACTIVE_NICE },
    { models: long, workers, nice: COMPUTE_THREAD_NICE },
  ];
}

/** The lane that runs `model`; every model has exactly one. */
export function laneOf(lanes: readonly WorkerLane[], model: number): number {
  const at = lanes.findIndex((l) => l.models.includes(model));
  if (at === -1) throw new Error(`no worker lane runs model ${model}`);
  return at;
}
