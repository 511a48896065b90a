import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../src/tools/forge/prng.js';
import { wordsFromTokenizerJson, zipfSampler } from '../src/tools/quantize/synthetic-workload.js';

/**
 * The scale run's corpus (issue 22, item 6), regenerated from seeds rather than stored: texts of
 * 20-100 words drawn with Zipf's law (s = 1) from a real word list, and 384-d vectors from a seeded
 * mixture of clustered Gaussians, queries drawn from the same mixture. Texts and vectors come from
 * separate streams, so the bench can rebuild every vector (for the exact nearest neighbours)
 * without the texts. Vectors are rounded to 3 decimals, as they are sent: the exact search runs
 * over what the database holds.
 */
export const DIMENSIONS = 384;
const CLUSTERS = 1_000;
/** Spread of a cluster against its centre's (both per coordinate). */
const SPREAD = 0.6;

export interface WordList {
  words: string[];
  source: string;
}

/** Debian's word list (wamerican) when installed, else the forged model's vocabulary. */
export function wordList(modelDir: string): WordList {
  const dict = '/usr/share/dict/words';
  if (existsSync(dict)) {
    const words = readFileSync(dict, 'utf8').split('\n').filter((w) => /^[a-z]{3,}$/.test(w));
    if (words.length > 10_000) return { words, source: `${dict} (${words.length.toLocaleString('en')} lowercase words)` };
  }
  const words = wordsFromTokenizerJson(JSON.parse(readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>).filter((w) => /^[a-z]{3,}$/.test(w));
  return { words, source: `the bert-base-uncased vocabulary (${words.length.toLocaleString('en')} words of 3+ letters)` };
}

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** The mixture's centres, the same for documents and queries. */
function centres(): Float32Array {
  const g = gaussian(mulberry32(384));
  return Float32Array.from({ length: CLUSTERS * DIMENSIONS }, g);
}

/** Draws vectors of the mixture into `out` (rounded as sent). */
export function vectorStream(seed: number): (out: Float32Array, at: number) => void {
  const c = centres();
  const rand = mulberry32(seed);
  const g = gaussian(rand);
  return (out, at) => {
    const k = Math.floor(rand() * CLUSTERS) * DIMENSIONS;
    for (let d = 0; d < DIMENSIONS; d++) out[at + d] = Math.round(((c[k + d] as number) + SPREAD * g()) * 1000) / 1000;
  };
}

export function textStream(words: readonly string[], seed: number): { doc: () => string; query: (i: number) => string } {
  const rand = mulberry32(seed);
  const draw = zipfSampler(words.length, rand, 1);
  const text = (n: number): string => Array.from({ length: n }, () => words[draw()]).join(' ');
  // Every tenth query is one of the 20 most frequent words alone: what defeats pruning.
  return { doc: () => text(20 + Math.floor(rand() * 80)), query: (i) => (i % 10 === 0 ? (words[draw() % 20] as string) : text(1 + Math.floor(rand() * 10))) };
}

/** Every document vector, as the database holds them, for the exact search (1.5 GB at 1M). */
export function allVectors(documents: number): Float32Array {
  const out = new Float32Array(documents * DIMENSIONS);
  const next = vectorStream(1);
  for (let i = 0; i < documents; i++) next(out, i * DIMENSIONS);
  return out;
}

/** The exact top k by cosine distance (ties by index), over `all`. */
export function exactTopK(all: Float32Array, norms: Float32Array, q: Float32Array, k: number): number[] {
  let qn = 0;
  for (let d = 0; d < DIMENSIONS; d++) qn += (q[d] as number) ** 2;
  const n = norms.length;
  const top: { i: number; s: number }[] = [];
  let floor = -Infinity;
  for (let i = 0; i < n; i++) {
    let dot = 0;
    const o = i * DIMENSIONS;
    for (let d = 0; d < DIMENSIONS; d++) dot += (all[o + d] as number) * (q[d] as number);
    const s = dot / Math.sqrt(qn * (norms[i] as number));
    if (s >= floor) {
      top.push({ i, s });
      // Cut back to k now and then, not at every push.
      if (top.length >= 4 * k) {
        top.sort((a, b) => b.s - a.s || a.i - b.i);
        top.length = k;
        floor = (top[k - 1] as { s: number }).s;
      }
    }
  }
  return top.sort((a, b) => b.s - a.s || a.i - b.i).map((t) => t.i);
}

export function squaredNorms(all: Float32Array, documents: number): Float32Array {
  const out = new Float32Array(documents);
  for (let i = 0; i < documents; i++) {
    let s = 0;
    for (let d = 0; d < DIMENSIONS; d++) s += (all[i * DIMENSIONS + d] as number) ** 2;
    out[i] = s;
  }
  return out;
}
