/**
 * A repeated identical 100-document request: answered from the pair cache (memory tier, and Redis
 * alone) vs. computed afresh (`Cache-Control: no-store`), side by side in one run, over real HTTP.
 *
 *   npm run build
 *   npx tsc -p bench/tsconfig.json
 *   node dist-bench/bench/cache-latency.js [--rounds 40] [--redis-url redis://127.0.0.1:6379]
 *
 * Uses models/forged-minilm (forged on first use: the MiniLM-L6 shape, so inference costs what the
 * real model's does).
 */
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type * as ConfigModule from '../src/config.js';
import type * as ForgeModule from '../src/tools/forge/index.js';
import type { RawSettings } from '../src/config.js';
import type * as ServerModule from '../src/server.js';
import type { RunningServer } from '../src/server.js';

// Runs the build in dist/ (what `npm start` runs), typed by the sources; run from the repo root.
const dist = (file: string): string => new URL(`dist/${file}`, pathToFileURL(`${process.cwd()}/`)).href;
const { buildConfig } = (await import(dist('config.js'))) as typeof ConfigModule;
const { forgeModel } = (await import(dist('forge/index.js'))) as typeof ForgeModule;
const { startServer } = (await import(dist('server.js'))) as typeof ServerModule;

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '40' }, 'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' } } });
const rounds = Number(args.rounds);
const modelDir = 'models/forged-minilm';

const words = 'the a capital city river europe france paris population history museum tower bridge rail station market wine cheese art'.split(' ');
const documents = Array.from({ length: 100 }, (_, i) => Array.from({ length: 40 + (i % 30) }, (_, j) => words[(i * 7 + j * 13) % words.length]).join(' '));
const body = JSON.stringify({ query: 'what is the capital of france', documents });

async function server(settings: RawSettings): Promise<RunningServer> {
  const s = await startServer(buildConfig({ model: modelDir, host: '127.0.0.1', port: '0', ...settings }), { logger: pino({ level: 'warn' }) });
  await s.ready;
  return s;
}

async function timeOne(url: string, headers: Record<string, string>): Promise<{ ms: number; cached: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const json = (await res.json()) as { usage: { cached_pairs: number } };
  return { ms: performance.now() - started, cached: json.usage.cached_pairs };
}

function summary(ms: number[]): { p50: number; p95: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  return { p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

if (!existsSync(`${modelDir}/config.json`)) await forgeModel({ out: modelDir, preset: 'minilm-l6' });
const prefix = `bench-cache:${randomUUID()}:`;
const memory = await server({});
const redisOnly = await server({ cacheMaxBytes: '0', redisUrl: args['redis-url'], redisKeyPrefix: prefix });
const results: Record<string, number[]> = { uncached: [], memory: [], redis: [] };
try {
  // Warm both paths (and fill both caches) before timing.
  for (let i = 0; i < 3; i++) {
    await timeOne(memory.url, {});
    await timeOne(redisOnly.url, {});
  }
  for (let i = 0; i < rounds; i++) {
    const u = await timeOne(memory.url, { 'cache-control': 'no-store' });
    const m = await timeOne(memory.url, {});
    const r = await timeOne(redisOnly.url, {});
    if (u.cached !== 0 || m.cached !== 100 || r.cached !== 100) throw new Error(`unexpected cache use: ${u.cached} / ${m.cached} / ${r.cached}`);
    results.uncached?.push(u.ms);
    results.memory?.push(m.ms);
    results.redis?.push(r.ms);
  }
} finally {
  await memory.close();
  await redisOnly.close();
  const client = new Redis(args['redis-url']);
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys);
  client.disconnect();
}

const base = summary(results.uncached ?? []);
console.log(`100 documents, ${rounds} rounds, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`);
console.log('| path | p50 ms | p95 ms | mean ms | p50 speed-up |');
console.log('|---|---|---|---|---|');
for (const [name, label] of [['uncached', 'uncached (`Cache-Control: no-store`)'], ['memory', 'memory tier hit'], ['redis', 'Redis tier hit (memory tier off)']] as const) {
  const s = summary(results[name] ?? []);
  console.log(`| ${label} | ${s.p50.toFixed(2)} | ${s.p95.toFixed(2)} | ${s.mean.toFixed(2)} | ${(base.p50 / s.p50).toFixed(1)}x |`);
}
