import { pairKeys, type CacheScope } from '../cache/index.js';
import type { InferenceEngine } from '../engine/engine.js';
import type { Metrics, StageTimings } from '../metrics.js';
import { selectTexts, textCount, type PackedTexts } from '../text/packed-texts.js';
import type { TruncationOptions } from '../text/pair-encoder.js';
import { READ_WRITE, type CachePolicy } from './cache-policy.js';
import { splitByCache } from './cache-split.js';

export interface RerankJob {
  query: string;
  /** Packed as soon as the request is parsed (see text/packed-texts.ts). */
  documents: PackedTexts;
  truncation: TruncationOptions;
  /** A decoder reranker's instruction (its default when undefined); other models ignore it. */
  instruction?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Default: read and write. */
  cache?: CachePolicy | undefined;
}


export interface RerankScores {
  /** Raw score per document, in request order (see runtime/activation.ts). */
  raw: Float32Array;
  /** Tokens the model read, special tokens included; cached pairs are not read again. */
  tokens: number;
  /** Documents whose score came from the cache. */
  cachedPairs: number;
  timings: StageTimings;
}

/**
 * cache lookup -> engine (admit, tokenize, batch, run) for the misses -> merge in request order ->
 * store the misses. Pairs, not requests, are the cache's unit, so overlapping candidate lists share work.
 */
export class RerankPipeline {
  constructor(
    private readonly engine: InferenceEngine,
    /** The engine's id of the model it runs. */
    private readonly model: string,
    private readonly maxLength: number,
    private readonly cache: CacheScope<number> | undefined,
    private readonly metrics?: Metrics | undefined,
    /** Whether the model's template reads the instruction: only then is it part of the cache key. */
    private readonly usesInstruction = false,
  ) {}

  async run(job: RerankJob): Promise<RerankScores> {
    const timings: StageTimings = {};
    const count = textCount(job.documents);
    const raw = new Float32Array(count);
    const instruction = this.usesInstruction ? job.instruction : undefined;
    const split = await splitByCache(this.cache, job.cache ?? READ_WRITE, count, (identity) => pairKeys(identity, job.query, job.documents, { ...job.truncation, maxLength: this.maxLength, instruction }), {
      model: 'reranker',
      metrics: this.metrics,
      timings,
    });
    split.found.forEach((score, i) => score !== undefined && (raw[i] = score));
    const { misses } = split;
    let tokens = 0;
    if (misses.length > 0) {
      const documents = misses.length === count ? job.documents : selectTexts(job.documents, misses);
      const result = await this.engine.run(this.model, { kind: 'pairs', query: job.query, documents, truncation: job.truncation, instruction }, job.signal);
      misses.forEach((i, j) => {
        raw[i] = result.output[j] as number;
      });
      tokens = result.tokens;
      Object.assign(timings, result.timings);
      split.store(Array.from(result.output));
    }
    return { raw, tokens, cachedPairs: count - misses.length, timings };
  }
}
