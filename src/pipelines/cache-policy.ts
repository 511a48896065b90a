import type { Metrics, ModelLabel, Stage, StageTimings } from '../metrics.js';

/** Whether a request may read cached values and store the ones it computes (Cache-Control). */
export interface CachePolicy {
  read: boolean;
  write: boolean;
}

export const READ_WRITE: CachePolicy = { read: true, write: true };

/** Runs one stage, records its seconds in `timings` and in the stage histogram. */
export async function timed<T>(stage: Stage, model: ModelLabel, metrics: Metrics | undefined, timings: StageTimings, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const seconds = (performance.now() - started) / 1000;
    timings[stage] = seconds;
    metrics?.stageDuration.observe({ stage, model }, seconds);
  }
}
