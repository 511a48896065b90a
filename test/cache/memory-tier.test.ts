import { describe, expect, it } from 'vitest';
import { MemoryTier, scoreCodec, TieredCache, vectorCodec, type ValueCodec } from '../../src/cache/index.js';
import { Metrics } from '../../src/metrics.js';

const key = (i: number): string => `key-${String(i).padStart(6, '0')}`;

describe('memory tier', () => {
  it('stays within its byte budget, evicting the least recently used first', async () => {
    const tier = new MemoryTier({ maxBytes: 20_000, ttlMs: 60_000 });
    tier.setMany(Array.from({ length: 100 }, (_, i) => [key(i), i] as const), scoreCodec);
    const first = await tier.getMany([key(0)], scoreCodec);
    expect(first).toEqual([0]);
    tier.setMany(Array.from({ length: 1000 }, (_, i) => [key(1000 + i), i] as const), scoreCodec);
    expect(tier.bytes).toBeLessThanOrEqual(20_000);
    expect(tier.entries).toBeGreaterThan(50);
    expect(tier.entries).toBeLessThan(1100);
    // The newest entries survive; the oldest are gone.
    expect(await tier.getMany([key(1999), key(1)], scoreCodec)).toEqual([999, undefined]);
  });

  it('forgets entries after the TTL', async () => {
    const tier = new MemoryTier({ maxBytes: 1_000_000, ttlMs: 60 });
    tier.setMany([[key(1), 0.5]], scoreCodec);
    expect(await tier.getMany([key(1)], scoreCodec)).toEqual([0.5]);
    await new Promise((r) => setTimeout(r, 120));
    expect(await tier.getMany([key(1)], scoreCodec)).toEqual([undefined]);
  });

  it('keeps float32 scores exactly', async () => {
    const scores = Float32Array.from([0.1, -3.3333, 7.25e-8]);
    const tier = new MemoryTier({ maxBytes: 1_000_000, ttlMs: 60_000 });
    tier.setMany(Array.from(scores, (s, i) => [key(i), s] as const), scoreCodec);
    expect(Float32Array.from((await tier.getMany([key(0), key(1), key(2)], scoreCodec)) as number[])).toEqual(scores);
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
      getMany: async <V>(keys: readonly string[], codec: ValueCodec<V>) => {
        asked.push([...keys]);
        return far.getMany(keys, codec);
      },
    });
    const cache = new TieredCache([near, spyFar], metrics);
    near.setMany([['a', 1]], scoreCodec);
    far.setMany([['b', 2]], scoreCodec);
    expect(await cache.getMany(['a', 'b', 'c'], scoreCodec)).toEqual([1, 2, undefined]);
    expect(asked).toEqual([['b', 'c']]);
    expect(await near.getMany(['b'], scoreCodec)).toEqual([2]);
    cache.setMany([['c', 3]], scoreCodec);
    expect(await near.getMany(['c'], scoreCodec)).toEqual([3]);
    expect(await far.getMany(['c'], scoreCodec)).toEqual([3]);
    const lookups = (await metrics.cacheLookups.get()).values.map((v) => [v.labels.tier, v.labels.result, v.labels.kind, v.value]);
    expect(lookups).toEqual(expect.arrayContaining([['memory', 'hit', 'score', 1], ['memory', 'miss', 'score', 2], ['far', 'hit', 'score', 1], ['far', 'miss', 'score', 1]]));
  });

  it('keeps vectors, sized by their bytes, next to scores', async () => {
    const tier = new MemoryTier({ maxBytes: 1_000_000, ttlMs: 60_000 });
    const codec = vectorCodec(3);
    const v = Float32Array.from([0.5, -1, 3.25]);
    tier.setMany([['v', v]], codec);
    tier.setMany([['s', 0.5]], scoreCodec);
    expect(await tier.getMany(['v'], codec)).toEqual([v]);
    expect(await tier.getMany(['s'], scoreCodec)).toEqual([0.5]);
    expect(tier.bytes).toBeGreaterThan(codec.bytes(v));
  });
});
