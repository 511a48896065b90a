import type { CacheScope } from '../cache/index.js';
import type { Metrics, ModelLabel, StageTimings } from '../metrics.js';
import { timed, type CachePolicy } from './cache-policy.js';

/** What the cache answered for a request's items, and which items still need the model. */
export interface CacheSplit<V> {
  /** One entry per item: the cached value, or undefined for a miss. */
  found: (V | undefined)[];
  /** Indices of the items the model must compute, in order. */
  misses: number[];
  /** Stores the computed values of the misses (in `misses` order), when the policy writes. */
  store(values: readonly V[]): void;
}

/**
 * The first and last step both pipelines share: look the items up (keys from the model's scope),
 * and afterwards store what the model computed. A request that may neither read nor write, or a
 * service without a cache, sends every item to the model.
 */
export async function splitByCache<V>(
  scope: CacheScope<V> | undefined,
  policy: CachePolicy,
  count: number,
  keysFor: (identity: string) => Promise<string[]>,
  timing: { model: ModelLabel; metrics: Metrics | undefined; timings: StageTimings },
): Promise<CacheSplit<V>> {
  const none: CacheSplit<V> = { found: new Array<V | undefined>(count).fill(undefined), misses: Array.from({ length: count }, (_, i) => i), store: () => undefined };
  if (scope === undefined || !(policy.read || policy.write)) return none;
  return timed('cache_lookup', timing.model, timing.metrics, timing.timings, async () => {
    const keys = await keysFor(scope.identity);
    const found = policy.read ? await scope.get(keys) : none.found;
    const misses: number[] = [];
    found.forEach((v, i) => v === undefined && misses.push(i));
    const store = (values: readonly V[]): void => {
      if (policy.write) scope.set(misses.map((i, j) => [keys[i] as string, values[j] as V] as const));
    };
    return { found, misses, store };
  });
}
