import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { buildConfig } from '../../src/config.js';
import { Service } from '../../src/service.js';
import { sample } from '../http/metrics-text.js';
import { forgedModel } from '../support/forged-model.js';
import { eventually, freePort, RedisChild } from './redis-support.js';

// Redis is the only tier here (memory tier off), so every hit below was answered by Redis.
let redis: RedisChild;
let app: Awaited<ReturnType<typeof buildApp>>;
let service: Service;
const logs: { msg: string; level: number }[] = [];

beforeAll(async () => {
  redis = new RedisChild(await freePort());
  await redis.start();
  const config = buildConfig({ model: await forgedModel(), workers: '1', cacheMaxBytes: '0', redisUrl: redis.url, redisTimeoutMs: '100', redisKeyPrefix: 'outage-test:', embeddingModel: 'none', store: 'none' });
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as { msg: string; level: number }) });
  service = new Service(config, { log: logger });
  await service.start();
  app = await buildApp({ config, service, logger });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await service.close();
  await redis.stop();
});

async function rerank(documents: string[]): Promise<{ status: number; cached: number }> {
  const res = await app.inject({ method: 'POST', url: '/v2/rerank', payload: { query: 'outage', documents } });
  return { status: res.statusCode, cached: res.statusCode === 200 ? res.json<{ usage: { cached_pairs: number } }>().usage.cached_pairs : -1 };
}

const metrics = async (): Promise<string> => (await app.inject({ method: 'GET', url: '/metrics' })).body;
const docs = (tag: string): string[] => Array.from({ length: 8 }, (_, i) => `${tag} document ${i}`);

describe('Redis stopped during a run', () => {
  it('keeps answering, counts the failures, logs the outage once, and uses Redis again once it is back', async () => {
    await eventually(async () => {
      await rerank(docs('before'));
      return (await rerank(docs('before'))).cached === 8;
    });

    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      if (i === 10) await redis.stop();
      const { status } = await rerank(docs(`during ${i % 5}`));
      statuses.push(status);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    const failures = sample(await metrics(), 'reranker_cache_errors_total', { tier: 'redis' });
    expect(failures).toBeGreaterThanOrEqual(20);
    expect(logs.filter((l) => l.msg.startsWith('Redis cache tier unavailable'))).toHaveLength(1);

    await redis.start();
    const hitsBefore = sample(await metrics(), 'reranker_cache_lookups_total', { tier: 'redis', result: 'hit' });
    await eventually(async () => {
      await rerank(docs('after'));
      return (await rerank(docs('after'))).cached === 8;
    }, 10_000);
    expect(sample(await metrics(), 'reranker_cache_lookups_total', { tier: 'redis', result: 'hit' })).toBeGreaterThanOrEqual(hitsBefore + 8);
    expect(logs.filter((l) => l.msg === 'Redis cache tier is back')).toHaveLength(1);
  });
});
