import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Histogram } from 'prom-client';
import { buildConfig, type RawSettings } from '../../src/config.js';
import { createPoolEngine } from '../../src/engine/create-engine.js';
import type { EngineModel } from '../../src/engine/engine.js';
import type { EncodeJob } from '../../src/text/encode-job.js';
import { LocalEngine } from '../../src/engine/local-engine.js';
import type { PoolEngine } from '../../src/engine/engine.js';
import type { WorkerPool } from '../../src/engine/worker-pool.js';
import { Metrics } from '../../src/metrics.js';
import { engineSettings, loadModels } from '../../src/compose.js';
import type { ForgeOptions } from '../../src/tools/forge/index.js';
import { forgedModel } from '../support/forged-model.js';
import { packTexts } from '../../src/text/packed-texts.js';

const WORDS = 'paris france capital river seine bank bread cheese wine tower museum art history war king queen republic city north south europe language'.split(' ');

/** A forged cross-encoder's folder and the engine models the service would build for it (no embedder). */
export async function forgedModels(model: Omit<ForgeOptions, 'out'> = {}, settings: RawSettings = {}): Promise<{ dir: string; models: EngineModel[] }> {
  const dir = await forgedModel(model);
  const config = buildConfig({ model: dir, embeddingModel: 'none', ...settings });
  return { dir, models: loadModels(config, { reranker: true }).registry.engineModels };
}

/** A deterministic rerank job of varied document lengths (words per document in [minWords, maxWords]). */
export function makeJob(count: number, seed: number, minWords = 3, maxWords = 60): Extract<EncodeJob, { kind: 'pairs' }> {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const documents = Array.from({ length: count }, () => {
    const n = minWords + Math.floor(next() * (maxWords - minWords + 1));
    return Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
  });
  return { kind: 'pairs', query: `what is the ${WORDS[seed % WORDS.length]} of france`, documents: packTexts(documents), truncation: { direction: 'right', truncate: true } };
}

/** How a worker of test/engine/fixtures/faulty-worker.mjs fails: it exits, spins in JavaScript, or stays in a "native" run. */
export type WorkerFault = 'exit' | 'hang' | 'stuck';

export interface TestEngine {
  engine: PoolEngine;
  pool: WorkerPool;
  metrics: Metrics;
  rerank(job: EncodeJob, signal?: AbortSignal): ReturnType<PoolEngine['run']>;
  /** The next batch a worker starts (the next `times` batches) makes that worker fail this way, for real. */
  failNextBatch(fault: WorkerFault, times?: number): void;
}

/** The workers run the faulty-worker fixture, which is the real worker until a test asks it to fail. */
const FAULTY_WORKER = new URL('./fixtures/faulty-worker.mjs', import.meta.url).pathname;

export async function startEngine(dir: string, settings: RawSettings): Promise<TestEngine> {
  const metrics = new Metrics(undefined, { defaultMetrics: false });
  const config = buildConfig({ model: dir, embeddingModel: 'none', ...settings });
  const models = loadModels(config, { reranker: true }).registry.engineModels;
  // Workers copy the environment when they start, so the file is named before the pool exists.
  const faultFile = join(mkdtempSync(join(tmpdir(), 'worker-fault-')), 'next');
  process.env['RERANKER_TEST_FAULT_FILE'] = faultFile;
  const { engine, pool } = await createPoolEngine(models, engineSettings(config), metrics, { workerScript: FAULTY_WORKER });
  const id = models[0]?.id ?? 'reranker';
  return { engine, pool, metrics, rerank: (job, signal) => engine.run(id, job, signal), failNextBatch: (fault, times = 1) => writeFileSync(faultFile, `${fault} ${times}`) };
}

/** Scores computed alone, on the main thread: the reference the pool must match. */
export async function scoresAlone(models: EngineModel[], jobs: EncodeJob[]): Promise<Float32Array[]> {
  const local = await LocalEngine.create(models, 1);
  try {
    const out: Float32Array[] = [];
    for (const job of jobs) out.push((await local.run(models[0]?.id ?? 'reranker', job)).output);
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
