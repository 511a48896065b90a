import type { StageTimings } from '../pipelines/rerank-pipeline.js';

/** Browser devtools and curl -v show these; the names are short because they are read by people. */
const NAMES = { cache_lookup: 'cache', tokenize: 'tokenize', queue_wait: 'queue', inference: 'inference' } as const;

/** `cache;dur=0.4, tokenize;dur=3.1, queue;dur=0.2, inference;dur=41.7` (milliseconds). */
export function serverTiming(timings: StageTimings): string {
  return (Object.keys(NAMES) as (keyof typeof NAMES)[]).map((stage) => `${NAMES[stage]};dur=${(timings[stage] * 1000).toFixed(1)}`).join(', ');
}
