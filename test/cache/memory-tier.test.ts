import { describe, expect, it } from 'vitest';
import { MemoryTier, TieredCache } from '../../src/cache/index.js';
import { Metrics } from '../../src/metrics.js';

const key = (i: number): string => `key-${String(i).padStart(6, '0')}`;

describe('memory tier', () => {
  it('stays within its byte budget, evicting the least recently used first', async () => {
    const tier = new MemoryTier({ maxBytes: 20_000, ttlMs: 60_000 });
    tier.setMany(Array.from({ length: 100 }, (_, i) => [key(i), i] as const));
    const first = await tier.getMany([key(0)]);
    expect(first).toEqual([0]);
    tier.setMany(Array.from({ length: 1000 }, (_, i) => [key(1000 + i), i] as const));
    expect(tier.bytes).toBeLessThanOrEqual(20_000);
    expect(tier.entries).toBeGreaterThan(50);
    expect(tier.entries).toBeLessThan(1100);
    // The newest entries survive; the oldest are gone.
    expect(await tier.getMany([key(1999), key(1)])).toEqual([999, undefined]);
  });

  it('forgets entries after the TTL', async () => {
    const tier = new MemoryTier({ maxBytes: 1_000_000, ttlMs: 60 });
    tier.setMany([[key(1), 0.5]]);
    expect(await tier.getMany([key(1)])).toEqual([0.5]);
    await new Promise((r) => setTimeout(r, 120));
    expect(await tier.getMany([key(1)])).toEqual([undefined]);
  });

  it('keeps float32 scores exactly', async () => {
    const scores = Float32Array.from([0.1, -3.3333, 7.25e-8]);
    const tier = new MemoryTier({ maxBytes: 1_000_000, ttlMs: 60_000 });
    tier.setMany(Array.from(scores, (s, i) => [key(i), s] as const));
    expect(Float32Array.from((await tier.getMany([key(0), key(1), key(2)])) as number[])).toEqual(scores);
  });
});

describe('tiered cache', () => {
  it('asks the second tier only for what the first missed, backfills the first, and writes through', async () => {
    const metrics = new Metrics(undefined, { defaultMetrics: false });
    const near = new MemoryTier({ maxBytes: 1_000_000, ttlMs: 60_000 });
    const far = new MemoryTier({ maxBytes: 1_000_000, ttlMs: 60_000 });
    const asked: string[][] = [];
    const spyFar = Object.assign(Object.create(far) as MemoryTier, {
      name: 'far',
      getMany: async (keys: readonly string[]) => {
        asked.push([...keys]);
        return far.getMany(keys);
      },
    });
    const cache = new TieredCache([near, spyFar], metrics);
    near.setMany([['a', 1]]);
    far.setMany([['b', 2]]);
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual([1, 2, undefined]);
    expect(asked).toEqual([['b', 'c']]);
    expect(await near.getMany(['b'])).toEqual([2]);
    cache.setMany([['c', 3]]);
    expect(await near.getMany(['c'])).toEqual([3]);
    expect(await far.getMany(['c'])).toEqual([3]);
    const lookups = (await metrics.cacheLookups.get()).values.map((v) => [v.labels.tier, v.labels.result, v.value]);
    expect(lookups).toEqual(expect.arrayContaining([['memory', 'hit', 1], ['memory', 'miss', 2], ['far', 'hit', 1], ['far', 'miss', 1]]));
  });
});
