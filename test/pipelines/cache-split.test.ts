import { describe, expect, it } from 'vitest';
import { CacheScope, MemoryTier, scoreCodec, TieredCache } from '../../src/cache/index.js';
import { Metrics, type StageTimings } from '../../src/metrics.js';
import { READ_WRITE, type CachePolicy } from '../../src/pipelines/cache-policy.js';
import { splitByCache } from '../../src/pipelines/cache-split.js';

/**
 * The cache split both pipelines share, alone over a real memory tier: which items go to the model,
 * what is stored afterwards, under which keys, and what Cache-Control's policies change.
 */
const setup = (): { scope: CacheScope<number>; metrics: Metrics } => {
  const metrics = new Metrics(undefined, { defaultMetrics: false });
  const tier = new TieredCache([new MemoryTier({ maxBytes: 1 << 20, ttlMs: 60_000 })], metrics);
  return { scope: new CacheScope(tier, 'model-identity', scoreCodec), metrics };
};
const keysFor = (items: readonly string[]) => async (identity: string): Promise<string[]> => items.map((item) => `${identity}:${item}`);
const split = (scope: CacheScope<number> | undefined, policy: CachePolicy, items: readonly string[], metrics?: Metrics, timings: StageTimings = {}) =>
  splitByCache(scope, policy, items.length, keysFor(items), { model: 'reranker', metrics, timings });

describe('splitByCache', () => {
  it('sends every item to the model the first time, and none once their values are stored', async () => {
    const { scope, metrics } = setup();
    const first = await split(scope, READ_WRITE, ['p', 'q', 'r'], metrics);
    expect(first.found).toEqual([undefined, undefined, undefined]);
    expect(first.misses).toEqual([0, 1, 2]);
    first.store([0.5, -1.25, 3]);
    const again = await split(scope, READ_WRITE, ['r', 'x', 'p'], metrics);
    expect(again.found).toEqual([3, undefined, 0.5]);
    expect(again.misses).toEqual([1]);
    // Values are stored in `misses` order, under the keys of the scope's identity.
    again.store([7]);
    expect(await scope.get(['model-identity:x', 'model-identity:q', 'other:x'])).toEqual([7, -1.25, undefined]);
  });

  it('times the lookup as the cache_lookup stage, on the timings and the histogram', async () => {
    const { scope, metrics } = setup();
    const timings: StageTimings = {};
    await split(scope, READ_WRITE, ['p'], metrics, timings);
    expect(timings.cache_lookup).toBeGreaterThanOrEqual(0);
    const observed = (await metrics.stageDuration.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.stage === 'cache_lookup');
    expect(observed?.value).toBe(1);
  });

  it('no-store reads but does not write; no-cache writes but does not read', async () => {
    const { scope } = setup();
    (await split(scope, READ_WRITE, ['p'])).store([1]);
    const noStore = await split(scope, { read: true, write: false }, ['p', 'q']);
    expect(noStore.found).toEqual([1, undefined]);
    noStore.store([2]);
    expect(await scope.get(['model-identity:q'])).toEqual([undefined]);
    const noCache = await split(scope, { read: false, write: true }, ['p', 'q']);
    expect(noCache.found).toEqual([undefined, undefined]);
    expect(noCache.misses).toEqual([0, 1]);
    noCache.store([10, 20]);
    expect(await scope.get(['model-identity:p', 'model-identity:q'])).toEqual([10, 20]);
  });

  it('without a cache, or with neither reading nor writing, looks nothing up and times nothing', async () => {
    const { scope } = setup();
    for (const [s, policy] of [[undefined, READ_WRITE], [scope, { read: false, write: false }]] as const) {
      const timings: StageTimings = {};
      let asked = false;
      const result = await splitByCache(s, policy, 2, async () => ((asked = true), []), { model: 'reranker', metrics: undefined, timings });
      expect(result.found).toEqual([undefined, undefined]);
      expect(result.misses).toEqual([0, 1]);
      expect(asked).toBe(false);
      expect(timings).toEqual({});
    }
  });
});
