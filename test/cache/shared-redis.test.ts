import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../http/metrics-text.js';
import { forgedModel } from '../support/forged-model.js';
import { deletePrefix, eventually, freePort, SHARED_REDIS_URL, uniquePrefix } from './redis-support.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const prefix = uniquePrefix('replicas');
const replicas: { child: ChildProcess; url: string }[] = [];

async function replica(modelDir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const args = [CLI, 'serve', '--model', modelDir, '--embedding-model', 'none', '--store', 'none', '--port', String(port), '--host', '127.0.0.1', '--workers', '1'];
  args.push('--redis-url', SHARED_REDIS_URL, '--redis-key-prefix', prefix, '--log-level', 'warn');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  replicas.push({ child, url });
  await eventually(async () => (await fetch(`${url}/health`).catch(() => undefined))?.status === 200, 30_000);
  return { child, url };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('run `npm run build` first: this test starts dist/cli.js');
  const modelDir = await forgedModel();
  await Promise.all([replica(modelDir), replica(modelDir)]);
});
afterAll(async () => {
  await Promise.all(
    replicas.map(({ child }) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM'))))),
  );
  await deletePrefix(SHARED_REDIS_URL, prefix);
});

async function rerank(url: string, documents: string[]): Promise<number> {
  const res = await fetch(`${url}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'shared', documents }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { usage: { cached_pairs: number } }).usage.cached_pairs;
}

const metrics = async (url: string): Promise<string> => (await fetch(`${url}/metrics`)).text();

describe('two server processes sharing Redis', () => {
  it('a pair scored by one is a cache hit in the other', async () => {
    const [a, b] = replicas.map((r) => r.url) as [string, string];
    const documents = Array.from({ length: 12 }, (_, i) => `shared document ${i}`);
    expect(await rerank(a, documents)).toBe(0);
    // Writes are fire-and-forget; wait until they landed so B's first lookup is the one tested.
    const redis = new Redis(SHARED_REDIS_URL);
    await eventually(async () => (await redis.keys(`${prefix}*`)).length === 12);
    redis.disconnect();

    const scoredBefore = sample(await metrics(b), 'reranker_pairs_scored_total');
    expect(await rerank(b, documents)).toBe(12);
    const after = await metrics(b);
    expect(sample(after, 'reranker_cache_lookups_total', { tier: 'redis', result: 'hit' })).toBe(12);
    expect(sample(after, 'reranker_cache_lookups_total', { tier: 'memory', result: 'miss' })).toBe(12);
    expect(sample(after, 'reranker_pairs_scored_total')).toBe(scoredBefore);
  });
});
