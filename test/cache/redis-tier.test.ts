import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisTier, type CacheLog } from '../../src/cache/index.js';
import { Metrics } from '../../src/metrics.js';
import { deletePrefix, eventually, freePort, RedisChild, SHARED_REDIS_URL, uniquePrefix } from './redis-support.js';

const quiet: CacheLog = { warn: () => undefined, info: () => undefined };
const prefix = uniquePrefix('tier');
const tiers: RedisTier[] = [];

function tier(opts: { url?: string; timeoutMs?: number; metrics?: Metrics; log?: CacheLog } = {}): RedisTier {
  const t = new RedisTier({
    url: opts.url ?? SHARED_REDIS_URL,
    keyPrefix: prefix,
    ttlSeconds: 120,
    timeoutMs: opts.timeoutMs ?? 500,
    metrics: opts.metrics ?? new Metrics(undefined, { defaultMetrics: false }),
    log: opts.log ?? quiet,
  });
  tiers.push(t);
  return t;
}

afterEach(async () => {
  await Promise.all(tiers.splice(0).map((t) => t.close()));
});
afterAll(async () => deletePrefix(SHARED_REDIS_URL, prefix));

describe('Redis tier (real Redis)', () => {
  let monitor: Redis;
  const seen: string[][] = [];
  beforeAll(async () => {
    monitor = await new Redis(SHARED_REDIS_URL).monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.startsWith(prefix))) seen.push(args);
    });
  });
  afterAll(() => monitor.disconnect());

  it('looks up a whole request with one MGET and writes with SET .. EX in one pipeline', async () => {
    const t = tier();
    await t.connected();
    const keys = Array.from({ length: 50 }, (_, i) => `pair-${i}`);
    t.setMany(keys.slice(0, 30).map((k, i) => [k, i / 8] as const));
    await eventually(async () => (await t.getMany([keys[29] as string]))[0] !== undefined);
    // MONITOR lags behind the commands: wait until a sentinel sent after them shows up before clearing.
    const sentinel = new Redis(SHARED_REDIS_URL);
    await sentinel.get(`${prefix}sentinel`);
    await eventually(() => seen.some((a) => a[1] === `${prefix}sentinel`));
    sentinel.disconnect();
    seen.length = 0;

    const scores = await t.getMany(keys);
    expect(scores.slice(0, 30)).toEqual(keys.slice(0, 30).map((_, i) => i / 8));
    expect(scores.slice(30).every((s) => s === undefined)).toBe(true);
    await eventually(() => seen.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.map((a) => a[0]?.toLowerCase())).toEqual(['mget']);
    expect(seen[0]).toHaveLength(51);

    seen.length = 0;
    t.setMany([['pair-x', 0.25]]);
    await eventually(() => seen.length > 0);
    expect(seen[0]?.map((a) => a.toLowerCase())).toEqual(['set', `${prefix}pair-x`.toLowerCase(), '0.25', 'ex', '120']);
  });

  it('answers misses within the timeout when Redis stalls, counts it, and logs once', async () => {
    const child = new RedisChild(await freePort());
    await child.start();
    try {
      const metrics = new Metrics(undefined, { defaultMetrics: false });
      const warnings: string[] = [];
      const infos: string[] = [];
      const t = tier({ url: child.url, timeoutMs: 50, metrics, log: { warn: (_o, m) => warnings.push(m), info: (_o, m) => infos.push(m) } });
      await t.connected();
      t.setMany([['slow', 1.5]]);
      await eventually(async () => (await t.getMany(['slow']))[0] === 1.5);

      const admin = new Redis(child.url);
      await admin.call('CLIENT', 'PAUSE', '400', 'ALL');
      const started = performance.now();
      const results = await Promise.all([t.getMany(['slow']), t.getMany(['slow', 'other'])]);
      expect(performance.now() - started).toBeLessThan(250);
      expect(results).toEqual([[undefined], [undefined, undefined]]);
      const errors = (await metrics.cacheErrors.get()).values;
      expect(errors).toEqual([expect.objectContaining({ labels: { tier: 'redis', reason: 'timeout' }, value: 2 })]);
      expect(warnings).toHaveLength(1);

      await eventually(async () => (await t.getMany(['slow']))[0] === 1.5, 3000);
      expect(infos).toEqual(['Redis cache tier is back']);
      admin.disconnect();
    } finally {
      await child.stop();
    }
  });
});
