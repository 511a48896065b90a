import type { Stage, StageTimings } from '../metrics.js';

/**
 * Browser devtools and curl -v show these; the names are short because they are read by people.
 * README maps each to its metric stage label (test/readme.test.ts keeps the two in step).
 */
export const SERVER_TIMING_NAMES: Readonly<Record<Stage, string>> = {
  embed: 'embed',
  retrieve_vector: 'vector',
  retrieve_lexical: 'lexical',
  fuse: 'fuse',
  cache_lookup: 'cache',
  tokenize: 'tokenize',
  queue_wait: 'queue',
  inference: 'inference',
  write: 'write',
  index: 'index',
};

/** `cache;dur=0.4, tokenize;dur=3.1, queue;dur=0.2, inference;dur=41.7` (milliseconds), stages in pipeline order. */
export function serverTiming(timings: StageTimings): string {
  return (Object.keys(SERVER_TIMING_NAMES) as Stage[])
    .filter((stage) => timings[stage] !== undefined)
    .map((stage) => `${SERVER_TIMING_NAMES[stage]};dur=${((timings[stage] as number) * 1000).toFixed(1)}`)
    .join(', ');
}
