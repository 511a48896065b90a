import { textKeys, type CacheScope } from '../cache/index.js';
import type { InferenceEngine } from '../engine/engine.js';
import { normalizeRows } from '../runtime/pooling.js';
import type { Metrics, StageTimings } from '../metrics.js';
import type { TextTruncation } from '../text/text-encoder.js';
import { READ_WRITE, timed, type CachePolicy } from './cache-policy.js';

export interface EmbedJob {
  texts: readonly string[];
  truncation: TextTruncation;
  signal?: AbortSignal | undefined;
  cache?: CachePolicy | undefined;
}

export interface Embeddings {
  /** One vector per text, in request order, as pooling left them: not normalised (see shapeVector). */
  vectors: Float32Array[];
  dimensions: number;
  /** Tokens the model read, special tokens included; cached texts are not read again. */
  tokens: number;
  cachedTexts: number;
  timings: StageTimings;
}

/**
 * Keeps the first `dimensions` components (Matryoshka truncation) and L2-normalises when asked; a
 * copy, so cached vectors stay as they were.
 */
export function shapeVector(pooled: Float32Array, opts: { normalize: boolean; dimensions?: number | undefined }): Float32Array {
  const v = pooled.slice(0, opts.dimensions ?? pooled.length);
  if (opts.normalize) normalizeRows(v, 1, v.length);
  return v;
}

/** cache lookup -> engine for the misses -> merge -> store: the rerank pipeline's shape, for vectors. */
export class EmbedPipeline {
  constructor(
    private readonly engine: InferenceEngine,
    readonly maxLength: number,
    readonly dimensions: number,
    private readonly cache: CacheScope<Float32Array> | undefined,
    private readonly metrics?: Metrics | undefined,
  ) {}

  async run(job: EmbedJob): Promise<Embeddings> {
    const policy = job.cache ?? READ_WRITE;
    const timings: StageTimings = {};
    const vectors = new Array<Float32Array>(job.texts.length);
    let misses = job.texts.map((_, i) => i);
    let keys: string[] | undefined;

    if (this.cache !== undefined && (policy.read || policy.write)) {
      const cache = this.cache;
      await timed('cache_lookup', 'embedder', this.metrics, timings, async () => {
        keys = textKeys(cache.identity, job.texts, { ...job.truncation, maxLength: this.maxLength });
        if (!policy.read) return;
        const found = await cache.get(keys);
        misses = [];
        found.forEach((v, i) => {
          if (v === undefined) misses.push(i);
          else vectors[i] = v;
        });
      });
    }

    let tokens = 0;
    if (misses.length > 0) {
      const texts = misses.length === job.texts.length ? job.texts : misses.map((i) => job.texts[i] as string);
      const result = await this.engine.run('embedder', { kind: 'texts', texts, truncation: job.truncation }, job.signal);
      if (result.width !== this.dimensions) throw new Error(`the embedder returned ${result.width} components, expected ${this.dimensions}`);
      misses.forEach((i, j) => {
        vectors[i] = result.output.slice(j * result.width, (j + 1) * result.width);
      });
      tokens = result.tokens;
      Object.assign(timings, result.timings);
      if (this.cache !== undefined && keys !== undefined && policy.write) {
        const k = keys;
        this.cache.set(misses.map((i) => [k[i] as string, vectors[i] as Float32Array] as const));
      }
    }
    return { vectors, dimensions: this.dimensions, tokens, cachedTexts: job.texts.length - misses.length, timings };
  }
}
