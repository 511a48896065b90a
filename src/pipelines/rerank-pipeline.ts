import { pairKeys, type CacheTier } from '../cache/index.js';
import type { Metrics, Stage } from '../metrics.js';
import type { EncodedPair, PairEncoder, TruncationOptions } from '../text/pair-encoder.js';
import type { Scorer } from '../engine/scorer.js';

/** Whether a request may read cached scores and store the ones it computes (Cache-Control). */
export interface CachePolicy {
  read: boolean;
  write: boolean;
}

export interface RerankJob {
  query: string;
  documents: readonly string[];
  truncation: TruncationOptions;
  signal?: AbortSignal | undefined;
  /** Default: read and write. */
  cache?: CachePolicy | undefined;
}

/** Seconds spent per stage; a stage that did not run (everything cached) reports 0. */
export type StageTimings = Record<Stage, number>;

export interface RerankScores {
  /** Raw score per document, in request order (see model/activation.ts). */
  raw: Float32Array;
  /** Tokens the model read, special tokens included; cached pairs are not read again. */
  tokens: number;
  /** Documents whose score came from the cache. */
  cachedPairs: number;
  timings: StageTimings;
}

export interface PipelineOptions {
  /** The pair-score cache and the identity of the weights its keys are scoped to. */
  cache?: { tier: CacheTier; modelIdentity: string } | undefined;
  metrics?: Metrics | undefined;
}

const READ_WRITE: CachePolicy = { read: true, write: true };
/** Pairs tokenized between two yields to the event loop (~25 ms of work). */
const TOKENIZE_CHUNK = 256;

/**
 * cache lookup -> tokenize the misses -> scorer -> merge in request order -> store the misses.
 * Pairs, not requests, are the cache's unit, so overlapping candidate lists share work.
 */
export class RerankPipeline {
  constructor(
    private readonly encoder: PairEncoder,
    private readonly scorer: Scorer,
    private readonly options: PipelineOptions = {},
  ) {}

  async run(job: RerankJob): Promise<RerankScores> {
    const { cache } = this.options;
    const policy = job.cache ?? READ_WRITE;
    const timings: StageTimings = { cache_lookup: 0, tokenize: 0, queue_wait: 0, inference: 0 };
    const raw = new Float32Array(job.documents.length);
    let misses = job.documents.map((_, i) => i);
    let keys: string[] | undefined;

    if (cache !== undefined && (policy.read || policy.write)) {
      const started = performance.now();
      const settings = { ...job.truncation, maxLength: this.encoder.maxLength };
      keys = pairKeys(cache.modelIdentity, job.query, job.documents, settings);
      if (policy.read) {
        const found = await cache.tier.getMany(keys);
        misses = [];
        found.forEach((score, i) => {
          if (score === undefined) misses.push(i);
          else raw[i] = score;
        });
      }
      timings.cache_lookup = this.observe('cache_lookup', started);
    }

    let tokens = 0;
    if (misses.length > 0) {
      // Refused before tokenizing: an overloaded server must shed load cheaply.
      this.scorer.admit(misses.length);
      const started = performance.now();
      const queryIds = this.encoder.encodeQuery(job.query);
      const pairs: EncodedPair[] = [];
      for (let at = 0; at < misses.length; at += TOKENIZE_CHUNK) {
        // A 1000-document request takes ~100 ms to tokenize; yielding keeps /health and small requests moving.
        if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        job.signal?.throwIfAborted();
        for (const i of misses.slice(at, at + TOKENIZE_CHUNK)) pairs.push(this.encoder.encodePair(queryIds, job.documents[i] as string, job.truncation));
      }
      for (const p of pairs) tokens += p.ids.length;
      timings.tokenize = this.observe('tokenize', started);

      const result = await this.scorer.score(pairs, job.signal);
      misses.forEach((i, j) => {
        raw[i] = result.scores[j] as number;
      });
      // The batcher observes queue_wait, inference and pairs_scored_total itself, where it knows them.
      timings.queue_wait = result.queueSeconds;
      timings.inference = result.inferenceSeconds;

      if (cache !== undefined && keys !== undefined && policy.write) {
        const scored = keys;
        cache.tier.setMany(misses.map((i, j) => [scored[i] as string, result.scores[j] as number] as const));
      }
    }
    return { raw, tokens, cachedPairs: job.documents.length - misses.length, timings };
  }

  private observe(stage: Stage, startedMs: number): number {
    const seconds = (performance.now() - startedMs) / 1000;
    this.options.metrics?.stageDuration.observe({ stage }, seconds);
    return seconds;
  }
}
