import type { Metrics, StageTimings } from '../metrics.js';
import { sigmoid } from '../runtime/heads/activation.js';
import { packTexts } from '../text/packed-texts.js';
import type { TruncationOptions } from '../text/pair-encoder.js';
import type { CachePolicy } from './cache-policy.js';
import type { RerankPipeline } from './rerank-pipeline.js';

/**
 * When a stage is worth its cost (issue 21). Both rules must hold when both are given:
 * - minQueryTokens: the query has at least this many tokens (the stage model's tokenizer): long,
 *   specific questions are where an LLM reranker earns its cost;
 * - maxMargin: the previous stage that ran is unsure: its best two scores, as probabilities, are
 *   within this of each other. With no earlier stage run there is no evidence, and the stage runs.
 */
export interface StageGate {
  minQueryTokens?: number | undefined;
  maxMargin?: number | undefined;
}

export interface RerankStage {
  /** Its model's served name: what the response and the stage's Server-Timing entry call it. */
  model: string;
  /** Its model's metric label. */
  label: string;
  pipeline: RerankPipeline;
  /** Candidates it passes on to the next stage; undefined: all. The last stage keeps the request's top_n. */
  topN: number | undefined;
  instruction: string | undefined;
  when: StageGate | undefined;
  /** The query's tokens by this stage's tokenizer, counted only when a gate asks. */
  queryTokens: () => number;
}

export interface StageOutcome {
  model: string;
  ran: boolean;
  /** Why a gated stage did not run, in words. */
  skipped?: string | undefined;
  /** Candidates it was given. */
  candidates: number;
  /** Wall time of the stage, seconds (0 when it did not run). */
  seconds: number;
}

/** What the stages need of a search result: its raw scores are written into it. */
export interface StagedResult {
  rerank: number | undefined;
  stages: ({ score: number; rank: number } | undefined)[];
}

export interface StagesJob {
  query: string;
  stages: readonly RerankStage[];
  truncation: TruncationOptions;
  signal?: AbortSignal | undefined;
  cache?: CachePolicy | undefined;
}

/** Why `stage` should not run on `pool` after the stages before it; undefined when it should. */
function gateClosed<R extends StagedResult>(stage: RerankStage, pool: readonly R[], previous: number | undefined): string | undefined {
  if (pool.length === 0) return 'no candidates';
  const gate = stage.when;
  if (gate?.minQueryTokens !== undefined) {
    const tokens = stage.queryTokens();
    if (tokens < gate.minQueryTokens) return `the query has ${tokens} tokens, under min_query_tokens ${gate.minQueryTokens}`;
  }
  if (gate?.maxMargin !== undefined && previous !== undefined && pool.length >= 2) {
    // The pool is in the previous stage's order, best first.
    const [a, b] = [pool[0]?.stages[previous]?.score, pool[1]?.stages[previous]?.score] as [number, number];
    const margin = sigmoid(a) - sigmoid(b);
    if (margin > gate.maxMargin) return `the previous stage's top two scores are ${margin.toFixed(4)} apart, over max_margin ${gate.maxMargin}`;
  }
  return undefined;
}

/**
 * The rerank cascade: each stage that runs scores what the stage before it kept (a document by
 * its best passage), orders it best first (ties keep the previous order: the fused rank for the
 * first stage) and keeps its top_n for the next. A stage whose gate is closed runs no inference;
 * the order before it stands. Returns the candidates in the last order, with the tokens read.
 */
export async function runStages<R extends StagedResult>(
  job: StagesJob,
  candidates: readonly R[],
  passagesOf: (r: R) => string[],
  out: { metrics?: Metrics | undefined; timings: StageTimings },
): Promise<{ kept: R[]; tokens: number; cachedPairs: number; stages: StageOutcome[] }> {
  let pool = [...candidates];
  let tokens = 0;
  let cachedPairs = 0;
  let previous: number | undefined;
  const outcomes: StageOutcome[] = [];
  for (const [k, stage] of job.stages.entries()) {
    const last = k === job.stages.length - 1;
    const skipped = gateClosed(stage, pool, previous);
    out.metrics?.searchStages.inc({ model: stage.label, outcome: skipped === undefined ? 'ran' : 'skipped' });
    if (skipped !== undefined) {
      outcomes.push({ model: stage.model, ran: false, skipped, candidates: pool.length, seconds: 0 });
      continue;
    }
    const started = performance.now();
    const texts = pool.map(passagesOf);
    const scores = await stage.pipeline.run({ query: job.query, documents: packTexts(texts.flat()), truncation: job.truncation, instruction: stage.instruction, signal: job.signal, cache: job.cache });
    let at = 0;
    const best = texts.map((t) => {
      let b = -Infinity;
      for (let j = 0; j < t.length; j++) b = Math.max(b, scores.raw[at++] as number);
      return b;
    });
    const order = pool.map((_, i) => i).sort((a, b) => (best[b] as number) - (best[a] as number) || a - b);
    pool = order.map((i, rank) => {
      const r = pool[i] as R;
      r.stages[k] = { score: best[i] as number, rank: rank + 1 };
      r.rerank = best[i];
      return r;
    });
    if (!last && stage.topN !== undefined) pool = pool.slice(0, stage.topN);
    tokens += scores.tokens;
    cachedPairs += scores.cachedPairs;
    addTimings(out.timings, scores.timings);
    const seconds = (performance.now() - started) / 1000;
    out.metrics?.stageDuration.observe({ stage: 'rerank', model: stage.label }, seconds);
    outcomes.push({ model: stage.model, ran: true, candidates: texts.length, seconds });
    previous = k;
  }
  return { kept: pool, tokens, cachedPairs, stages: outcomes };
}

/** A cascade's engine stages add up: Server-Timing's tokenize, queue and inference are the request's totals. */
function addTimings(into: StageTimings, from: StageTimings): void {
  for (const [stage, seconds] of Object.entries(from) as [keyof StageTimings, number][]) into[stage] = (into[stage] ?? 0) + seconds;
}
