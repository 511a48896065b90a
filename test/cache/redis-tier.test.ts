import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisTier, scoreCodec, vectorCodec } from '../../src/cache/index.js';
import type { Log } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { sample } from '../http/metrics-text.js';
import { testApp } from '../support/test-app.js';
import { deletePrefix, eventually, freePort, RedisChild, SHARED_REDIS_URL, uniquePrefix } from './redis-support.js';

const quiet: Log = { warn: () => undefined, info: () => undefined };
const prefix = uniquePrefix('tier');
const tiers: RedisTier[] = [];

function tier(opts: { url?: string; timeoutMs?: number; metrics?: Metrics; log?: Log } = {}): RedisTier {
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
    t.setMany(keys.slice(0, 30).map((k, i) => [k, i / 8] as const), scoreCodec);
    await eventually(async () => (await t.getMany([keys[29] as string], scoreCodec))[0] !== undefined);
    // MONITOR lags behind the commands: wait until a sentinel sent after them shows up before clearing.
    const sentinel = new Redis(SHARED_REDIS_URL);
    await sentinel.get(`${prefix}sentinel`);
    await eventually(() => seen.some((a) => a[1] === `${prefix}sentinel`));
    sentinel.disconnect();
    seen.length = 0;

    const scores = await t.getMany(keys, scoreCodec);
    expect(scores.slice(0, 30)).toEqual(keys.slice(0, 30).map((_, i) => i / 8));
    expect(scores.slice(30).every((s) => s === undefined)).toBe(true);
    await eventually(() => seen.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.map((a) => a[0]?.toLowerCase())).toEqual(['mget']);
    expect(seen[0]).toHaveLength(51);

    seen.length = 0;
    t.setMany([['pair-x', 0.25]], scoreCodec);
    await eventually(() => seen.length > 0);
    // The value is the score's four float32 bytes (0.25 is 00 00 80 3e), which MONITOR prints escaped.
    expect(seen[0]?.map((a) => a.toLowerCase())).toEqual(['set', `${prefix}pair-x`.toLowerCase(), '\\x00\\x00\\x80>', 'ex', '120']);
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
      t.setMany([['slow', 1.5]], scoreCodec);
      await eventually(async () => (await t.getMany(['slow'], scoreCodec))[0] === 1.5);

      const admin = new Redis(child.url);
      await admin.call('CLIENT', 'PAUSE', '400', 'ALL');
      const started = performance.now();
      const results = await Promise.all([t.getMany(['slow'], scoreCodec), t.getMany(['slow', 'other'], scoreCodec)]);
      expect(performance.now() - started).toBeLessThan(250);
      expect(results).toEqual([[undefined], [undefined, undefined]]);
      const errors = (await metrics.cacheErrors.get()).values;
      expect(errors).toEqual([expect.objectContaining({ labels: { tier: 'redis', reason: 'timeout' }, value: 2 })]);
      expect(warnings).toHaveLength(1);

      await eventually(async () => (await t.getMany(['slow'], scoreCodec))[0] === 1.5, 3000);
      expect(infos).toEqual(['Redis cache tier is back']);
      admin.disconnect();
    } finally {
      await child.stop();
    }
  });

  // Issue 11: what Redis hands back is data, not trust.
  it('treats a value that is not a finite score of the right size as a miss, and counts it', async () => {
    const metrics = new Metrics(undefined, { defaultMetrics: false });
    const t = tier({ metrics });
    await t.connected();
    const writer = new Redis(SHARED_REDIS_URL);
    const nan = Buffer.alloc(4);
    nan.writeFloatLE(Number.NaN);
    const inf = Buffer.alloc(4);
    inf.writeFloatLE(Number.POSITIVE_INFINITY);
    await writer.mset(`${prefix}bad-text`, 'NaN', `${prefix}bad-nan`, nan, `${prefix}bad-inf`, inf, `${prefix}bad-long`, Buffer.alloc(8), `${prefix}bad-empty`, '');
    writer.disconnect();
    t.setMany([['good', 0.75]], scoreCodec);
    await eventually(async () => (await t.getMany(['good'], scoreCodec))[0] === 0.75);
    const found = await t.getMany(['bad-text', 'bad-nan', 'bad-inf', 'bad-long', 'bad-empty', 'good'], scoreCodec);
    expect(found).toEqual([undefined, undefined, undefined, undefined, undefined, 0.75]);
    const invalid = (await metrics.cacheErrors.get()).values.filter((v) => v.labels.reason === 'invalid_value');
    expect(invalid.reduce((a, v) => a + v.value, 0)).toBe(5);
  });

  // Issue 11: the same for vectors: the right width is not enough, every component must be finite.
  it('treats a vector of the right width holding NaN or infinity as a miss, and counts it', async () => {
    const metrics = new Metrics(undefined, { defaultMetrics: false });
    const t = tier({ metrics });
    await t.connected();
    const poisoned = (value: number): Buffer => {
      const b = Buffer.alloc(16);
      [0.1, value, 0.3, 0.4].forEach((x, i) => b.writeFloatLE(x, i * 4));
      return b;
    };
    const writer = new Redis(SHARED_REDIS_URL);
    await writer.mset(`${prefix}vec-nan`, poisoned(Number.NaN), `${prefix}vec-inf`, poisoned(Number.NEGATIVE_INFINITY), `${prefix}vec-ok`, poisoned(0.2));
    writer.disconnect();
    const found = await t.getMany(['vec-nan', 'vec-inf', 'vec-ok'], vectorCodec(4));
    expect(found.slice(0, 2)).toEqual([undefined, undefined]);
    expect(Array.from(found[2] as Float32Array)).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround));
    const invalid = (await metrics.cacheErrors.get()).values.filter((v) => v.labels.reason === 'invalid_value');
    expect(invalid.reduce((a, v) => a + v.value, 0)).toBe(2);
  });

  // Issue 11, end to end: poisoned values in Redis never reach a client; the pairs are scored again and the values replaced.
  it('a request whose cached scores were poisoned gets fresh scores, and the poison is overwritten', async () => {
    const own = uniquePrefix('poison');
    const app = await testApp({ redisUrl: SHARED_REDIS_URL, redisKeyPrefix: own, cacheMaxBytes: '0', workers: '0' });
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const documents = ['Paris is the capital of France.', 'Bananas are yellow.', 'The Seine flows through Paris.'];
      const rerank = async () => (await app.app.inject({ method: 'POST', url: '/v2/rerank', payload: { query: 'capital of france', documents } })).json();
      const fresh = await rerank();
      expect(fresh.usage.cached_pairs).toBe(0);
      await eventually(async () => (await redis.keys(`${own}*`)).length === 3);
      const keys = await redis.keys(`${own}*`);
      const nan = Buffer.alloc(4);
      nan.writeFloatLE(Number.NaN);
      await redis.mset(keys[0] as string, 'NaN', keys[1] as string, nan, keys[2] as string, '');
      const again = await rerank();
      expect(again.results).toEqual(fresh.results);
      expect(again.usage.cached_pairs).toBe(0);
      const metricsText = (await app.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(sample(metricsText, 'reranker_cache_errors_total', { tier: 'redis', reason: 'invalid_value' })).toBe(3);
      // The fresh scores were written back over the poison: the next request is served from Redis.
      await eventually(async () => (await rerank()).usage.cached_pairs === 3);
    } finally {
      redis.disconnect();
      await app.close();
      await deletePrefix(SHARED_REDIS_URL, own);
    }
  });

  it('stores embeddings as float32 bytes and checks their width on the way back', async () => {
    const t = tier();
    await t.connected();
    const v = Float32Array.from([0.1, -0.2, 0.3, 1e-8]);
    t.setMany([['vec', v]], vectorCodec(4));
    await eventually(async () => (await t.getMany(['vec'], vectorCodec(4)))[0] !== undefined);
    expect(await t.getMany(['vec'], vectorCodec(4))).toEqual([v]);
    // Read as another width (another embedder's scope would never share the key; this is the guard).
    expect(await t.getMany(['vec'], vectorCodec(3))).toEqual([undefined]);
    expect(await t.getMany(['vec'], scoreCodec)).toEqual([undefined]);
  });
});
