import { textKeys, type CacheScope } from '../cache/index.js';
import type { InferenceEngine } from '../engine/engine.js';
import { normalizeRows } from '../runtime/heads/pooling-modes.js';
import type { Metrics, StageTimings } from '../metrics.js';
import { packTexts } from '../text/packed-texts.js';
import type { TextTruncation } from '../text/text-encoder.js';
import { READ_WRITE, type CachePolicy } from './cache-policy.js';
import { splitByCache } from './cache-split.js';

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
    /** The engine's id of the model it runs. */
    readonly model: string,
    readonly maxLength: number,
    readonly dimensions: number,
    private readonly cache: CacheScope<Float32Array> | undefined,
    private readonly metrics?: Metrics | undefined,
  ) {}

  async run(job: EmbedJob): Promise<Embeddings> {
    const timings: StageTimings = {};
    const split = await splitByCache(this.cache, job.cache ?? READ_WRITE, job.texts.length, (identity) => textKeys(identity, job.texts, { ...job.truncation, maxLength: this.maxLength }), {
      model: 'embedder',
      metrics: this.metrics,
      timings,
    });
    const vectors = split.found as Float32Array[];
    const { misses } = split;
    let tokens = 0;
    if (misses.length > 0) {
      const texts = packTexts(misses.length === job.texts.length ? job.texts : misses.map((i) => job.texts[i] as string));
      const result = await this.engine.run(this.model, { kind: 'texts', texts, truncation: job.truncation }, job.signal);
      if (result.width !== this.dimensions) throw new Error(`the embedder returned ${result.width} components, expected ${this.dimensions}`);
      const computed = misses.map((i, j) => (vectors[i] = result.output.slice(j * result.width, (j + 1) * result.width)));
      tokens = result.tokens;
      Object.assign(timings, result.timings);
      split.store(computed);
    }
    return { vectors, dimensions: this.dimensions, tokens, cachedTexts: job.texts.length - misses.length, timings };
  }
}
