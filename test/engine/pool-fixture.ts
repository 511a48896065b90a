import type { Histogram } from 'prom-client';
import { buildConfig, type RawSettings } from '../../src/config.js';
import { createPoolEngine } from '../../src/engine/create-engine.js';
import type { EngineModel } from '../../src/engine/engine.js';
import type { EncodeJob } from '../../src/engine/encode-job.js';
import { LocalEngine } from '../../src/engine/local-engine.js';
import type { PoolEngine } from '../../src/engine/engine.js';
import type { WorkerPool } from '../../src/engine/worker-pool.js';
import { Metrics } from '../../src/metrics.js';
import { loadCrossEncoder } from '../../src/models/cross-encoder.js';
import { engineModels } from '../../src/models/engine-models.js';
import { defaultEngineSettings } from '../../src/service.js';
import type { ForgeOptions } from '../../src/tools/forge/index.js';
import { forgedModel } from '../support/forged-model.js';

const WORDS = 'paris france capital river seine bank bread cheese wine tower museum art history war king queen republic city north south europe language'.split(' ');

/** A forged cross-encoder's folder and the engine models the service would build for it (no embedder). */
export async function forgedModels(model: Omit<ForgeOptions, 'out'> = {}, settings: RawSettings = {}): Promise<{ dir: string; models: EngineModel[] }> {
  const dir = await forgedModel(model);
  const config = buildConfig({ model: dir, embeddingModel: 'none', ...settings });
  return { dir, models: engineModels({ reranker: loadCrossEncoder(dir, {}), embedder: undefined }, config) };
}

/** A deterministic rerank job of varied document lengths (words per document in [minWords, maxWords]). */
export function makeJob(count: number, seed: number, minWords = 3, maxWords = 60): Extract<EncodeJob, { kind: 'pairs' }> {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const documents = Array.from({ length: count }, () => {
    const n = minWords + Math.floor(next() * (maxWords - minWords + 1));
    return Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
  });
  return { kind: 'pairs', query: `what is the ${WORDS[seed % WORDS.length]} of france`, documents, truncation: { direction: 'right', truncate: true } };
}

export interface TestEngine {
  engine: PoolEngine;
  pool: WorkerPool;
  metrics: Metrics;
  rerank(job: EncodeJob, signal?: AbortSignal): ReturnType<PoolEngine['run']>;
}

export async function startEngine(dir: string, settings: RawSettings): Promise<TestEngine> {
  const metrics = new Metrics(undefined, { defaultMetrics: false });
  const config = buildConfig({ model: dir, embeddingModel: 'none', ...settings });
  const models = engineModels({ reranker: loadCrossEncoder(dir, {}), embedder: undefined }, config);
  const { engine, pool } = await createPoolEngine(models, defaultEngineSettings(config), metrics);
  return { engine, pool, metrics, rerank: (job, signal) => engine.run('reranker', job, signal) };
}

/** Scores computed alone, on the main thread: the reference the pool must match. */
export async function scoresAlone(models: EngineModel[], jobs: EncodeJob[]): Promise<Float32Array[]> {
  const local = await LocalEngine.create(models, 1);
  try {
    const out: Float32Array[] = [];
    for (const job of jobs) out.push((await local.run('reranker', job)).output);
    return out;
  } finally {
    await local.close();
  }
}

export async function histogram(h: Histogram<string>, labels: Record<string, string> = {}): Promise<{ count: number; sum: number }> {
  const { values } = await h.get();
  const match = (l: Record<string, unknown>): boolean => Object.entries(labels).every(([k, v]) => l[k] === v);
  const pick = (suffix: string): number => values.filter((v) => v.metricName?.endsWith(suffix) && match(v.labels)).reduce((a, v) => a + v.value, 0);
  return { count: pick('_count'), sum: pick('_sum') };
}

export async function counter(c: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await c.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

export function expectClose(actual: Float32Array, expected: Float32Array, tolerance = 1e-5): void {
  if (actual.length !== expected.length) throw new Error(`got ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs((actual[i] as number) - (expected[i] as number));
    if (!(d <= tolerance)) throw new Error(`value ${i}: ${actual[i]} vs ${expected[i]} (off by ${d})`);
  }
}
