import type { Histogram } from 'prom-client';
import { buildConfig, type RawSettings } from '../../src/config.js';
import { LocalScorer } from '../../src/engine/local-scorer.js';
import { createPoolScorer, type PoolScorer } from '../../src/engine/pool-scorer.js';
import type { ForgeOptions } from '../../src/tools/forge/index.js';
import { Metrics } from '../../src/metrics.js';
import { loadCrossEncoder, type CrossEncoderSpec } from '../../src/models/cross-encoder.js';
import { CrossEncoderSession } from '../../src/runtime/onnx-session.js';
import type { EncodedPair } from '../../src/text/pair-encoder.js';
import { forgedModel } from '../support/forged-model.js';

const WORDS = 'paris france capital river seine bank bread cheese wine tower museum art history war king queen republic city north south europe language'.split(' ');

export async function forgedSpec(model: Omit<ForgeOptions, 'out'> = {}): Promise<{ dir: string; spec: CrossEncoderSpec }> {
  const dir = await forgedModel(model);
  return { dir, spec: loadCrossEncoder(dir, {}) };
}

/** Deterministic pairs of varied lengths (words per document in [minWords, maxWords]). */
export function makePairs(spec: CrossEncoderSpec, count: number, seed: number, minWords = 3, maxWords = 60): EncodedPair[] {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const query = spec.encoder.encodeQuery(`what is the ${WORDS[seed % WORDS.length]} of france`);
  return Array.from({ length: count }, () => {
    const n = minWords + Math.floor(next() * (maxWords - minWords + 1));
    const doc = Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
    return spec.encoder.encodePair(query, doc, { direction: 'right', truncate: true });
  });
}

export interface TestPool extends PoolScorer {
  metrics: Metrics;
}

export async function startPool(dir: string, spec: CrossEncoderSpec, settings: RawSettings): Promise<TestPool> {
  const metrics = new Metrics(undefined, { defaultMetrics: false });
  const config = buildConfig({ model: dir, ...settings });
  return { ...(await createPoolScorer(spec, config, metrics)), metrics };
}

/** Scores computed alone, on the main thread: the reference the pool must match. */
export async function scoresAlone(spec: CrossEncoderSpec, requests: EncodedPair[][]): Promise<Float32Array[]> {
  const session = await CrossEncoderSession.create({ onnxPath: spec.folder.onnxPath, numLabels: spec.folder.numLabels, relevantLabel: spec.folder.relevantLabel, padId: spec.tokenizer.padId, threads: 1 });
  const local = new LocalScorer(session, { maxBatchSize: 32, maxBatchTokens: 16384 });
  try {
    const out: Float32Array[] = [];
    for (const r of requests) out.push((await local.score(r)).scores);
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
  if (actual.length !== expected.length) throw new Error(`got ${actual.length} scores, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs((actual[i] as number) - (expected[i] as number));
    if (!(d <= tolerance)) throw new Error(`score ${i}: ${actual[i]} vs ${expected[i]} (off by ${d})`);
  }
}
