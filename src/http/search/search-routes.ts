import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { ConfigError, InvalidArgumentError } from '../../errors.js';
import { pickModel } from '../../models/model-names.js';
import type { RerankStage } from '../../pipelines/rerank-stages.js';
import type { SearchOutcome } from '../../pipelines/search-pipeline.js';
import { sigmoid } from '../../runtime/heads/activation.js';
import type { RerankerReady, Service } from '../../service.js';
import { parseFilter } from '../../store/index.js';
import { cachePolicy } from '../cache-control.js';
import { commonShape, useErrorShape } from '../error-reply.js';
import { requestSignal } from '../request-signal.js';
import { AnyErrorBody } from '../error-schemas.js';
import { MAX_RERANK_STAGES, RerankStageRequest, SearchRequest, SearchResponse } from './schemas.js';
import { serverTiming } from '../server-timing.js';

export interface SearchRoutesOptions {
  service: Service;
  config: Config;
}

/** The answer in the shape the README documents: scores and ranks per leg and per rerank stage, the leg a document missed left out. */
function shape(out: SearchOutcome, body: SearchRequest, models: { reranker: string | null; embedder: string | null }, staged: boolean) {
  const rawScores = body.raw_scores ?? false;
  const returnDocuments = body.return_documents ?? true;
  const threshold = body.score_threshold ?? -Infinity;
  const asScore = (raw: number): number => (rawScores ? raw : sigmoid(raw));
  return {
    id: randomUUID(),
    collection: out.collection.name,
    model: models,
    results: out.results.flatMap((r) => {
      const rerank = r.rerank === undefined ? undefined : asScore(r.rerank);
      const score = rerank ?? r.fused.score;
      // Results are best first, so the threshold only shortens the list.
      if (score < threshold) return [];
      const stages = staged ? out.stages.map((_, k) => r.stages[k]) : [];
      return {
        id: r.id,
        relevance_score: score,
        ...(returnDocuments ? { document: { text: r.text, metadata: r.metadata } } : {}),
        scores: {
          ...(r.vector === undefined ? {} : { vector: r.vector.score }),
          ...(r.lexical === undefined ? {} : { lexical: r.lexical.score }),
          fused: r.fused.score,
          ...(rerank === undefined ? {} : { rerank }),
          ...(staged ? { stages: stages.map((st) => (st === undefined ? null : asScore(st.score))) } : {}),
        },
        ranks: {
          ...(r.vector === undefined ? {} : { vector: r.vector.rank }),
          ...(r.lexical === undefined ? {} : { lexical: r.lexical.rank }),
          fused: r.fused.rank,
          ...(staged ? { stages: stages.map((st) => st?.rank ?? null) } : {}),
        },
      };
    }),
    ...(out.stages.length === 0 ? {} : { stages: out.stages.map((st) => ({ model: st.model, ran: st.ran, ...(st.skipped === undefined ? {} : { skipped: st.skipped }), candidates: st.candidates })) }),
    usage: { embedding_tokens: out.embeddingTokens, rerank_tokens: out.rerankTokens, cached_pairs: out.cachedPairs, candidates: out.candidates, lexical_scored: out.lexicalScored },
  };
}

/** One Server-Timing entry per rerank stage that ran: `rerank-1;dur=12.3;desc="ms-marco-MiniLM-L-6-v2"`. */
function stageTimings(stages: SearchOutcome['stages']): string[] {
  return stages.flatMap((st, k) => (st.ran ? [`rerank-${k + 1};dur=${(st.seconds * 1000).toFixed(1)};desc="${st.model.replace(/["\\]/g, '')}"`] : []));
}

/**
 * The request's stages as the pipeline runs them: each model picked by name (an unknown name is
 * 422 UNKNOWN_MODEL whatever --strict-model-name says: a cascade that silently ran another model
 * would mislead), with the rules a stage list must follow checked.
 */
function rerankStages(requested: readonly (RerankStageRequest | undefined)[], rerankers: readonly RerankerReady[], shown: number, query: string): RerankStage[] {
  return requested.map((stage, k) => {
    const ready = stage === undefined ? (rerankers[0] as RerankerReady) : pickModel(rerankers, stage.model, true, 'reranker');
    const last = k === requested.length - 1;
    if (stage?.when?.max_margin !== undefined && k === 0) throw new InvalidArgumentError('when.max_margin compares the scores of the stage before; the first rerank stage has none.');
    if (!last && stage?.top_n !== undefined && stage.top_n < shown) throw new InvalidArgumentError(`rerank stage ${k + 1} keeps ${stage.top_n} candidates, fewer than offset + top_n (${shown}).`);
    const { model } = ready;
    let queryTokens: number | undefined;
    return {
      model: model.servedName,
      label: model.id,
      pipeline: ready.pipeline,
      topN: stage?.top_n,
      instruction: stage?.instruction,
      when: stage?.when === undefined ? undefined : { minQueryTokens: stage.when.min_query_tokens, maxMargin: stage.when.max_margin },
      queryTokens: () => (queryTokens ??= model.spec.tokenizer.encode(query).length),
    };
  });
}

const checkCascade = Compile(Type.Array(RerankStageRequest, { minItems: 1, maxItems: MAX_RERANK_STAGES }));

function checkedCascade(value: unknown[] | undefined): RerankStageRequest[] | undefined {
  if (value === undefined) return undefined;
  if (!checkCascade.Check(value)) {
    const e = checkCascade.Errors(value)[0];
    throw new ConfigError(`--search-cascade (SEARCH_CASCADE): stages${(e?.instancePath ?? '').replaceAll('/', '.')} ${e?.message ?? 'is not a list of stages'}`);
  }
  return value;
}

/** POST /search: embed, first stage (vector and full-text legs), fusion, rerank, in one call. */
export async function searchRoutes(fastify: FastifyInstance, { service, config }: SearchRoutesOptions): Promise<void> {
  // --search-cascade is checked here, at start: a bad one fails the start-up, not the first request.
  const defaultCascade = checkedCascade(config.searchCascade);
  useErrorShape(fastify, { metrics: service.metrics, shape: commonShape });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/search',
    { schema: { summary: 'Two-stage search: vector and full-text candidates from a collection, fused, reranked', tags: ['search'], body: SearchRequest, response: { 200: SearchResponse, '4xx': AnyErrorBody, '5xx': AnyErrorBody } } },
    async (req, reply) => {
      const { body } = req;
      const ready = service.ready();
      const { search } = service.documents();
      const candidates = body.candidates ?? 100;
      const requested = body.rerank === false ? [] : Array.isArray(body.rerank) ? body.rerank : (defaultCascade ?? [undefined]);
      const lastTopN = requested.at(-1)?.top_n;
      const askedTopN = body.top_n ?? body.top_k;
      if (askedTopN !== undefined && lastTopN !== undefined && askedTopN !== lastTopN) throw new InvalidArgumentError(`The last rerank stage's top_n (${lastTopN}) is the request's; the request says top_n ${askedTopN}.`);
      // Unasked, top_n is 10 at most, and no more than the narrowest stage keeps.
      const topN = askedTopN ?? lastTopN ?? Math.min(10, candidates, ...requested.map((st) => st?.top_n ?? Infinity));
      const offset = body.offset ?? 0;
      if (offset + topN > candidates) throw new InvalidArgumentError(offset === 0 ? `top_n (${topN}) must not exceed candidates (${candidates}).` : `offset + top_n (${offset} + ${topN}) must not exceed candidates (${candidates}): pages come from one candidate window.`);
      if (body.ef_search !== undefined && body.ef_search < candidates) throw new InvalidArgumentError(`ef_search (${body.ef_search}) must be at least candidates (${candidates}): the index returns at most ef_search rows.`);
      if (body.query.length > config.limits.maxDocumentChars) throw new InvalidArgumentError(`query has ${body.query.length} characters, over the limit of ${config.limits.maxDocumentChars}.`);
      const stages = rerankStages(requested, ready.rerankers, offset + topN, body.query);
      // Parsed here, once, so a bad filter is a 422 before any model or store work; the pipeline takes it as parsed.
      const filter = body.filter === undefined ? undefined : parseFilter(body.filter);
      const vector = body.vector === undefined ? undefined : Float32Array.from(body.vector);
      if (vector !== undefined && !vector.every(Number.isFinite)) throw new InvalidArgumentError('vector must hold finite numbers.');
      const out = await search.run({
        collection: body.collection,
        query: body.query,
        topN,
        offset,
        candidates,
        mode: body.mode ?? 'hybrid',
        filter,
        efSearch: body.ef_search,
        rrfK: body.rrf_k ?? 60,
        weights: { vector: body.weights?.vector ?? 1, lexical: body.weights?.lexical ?? 1 },
        vector,
        stages,
        truncation: { direction: config.truncationDirection, truncate: true, maxTokensPerDoc: body.max_tokens_per_doc },
        signal: requestSignal(req, reply, config.engine.requestTimeoutMs),
        cache: cachePolicy(req.headers['cache-control']),
      });
      req.stats = { items: out.candidates, tokens: out.embeddingTokens + out.rerankTokens, cached: out.cachedPairs, timings: out.timings };
      void reply.header('server-timing', [serverTiming(out.timings), ...stageTimings(out.stages)].filter((t) => t !== '').join(', '));
      const lastRan = out.stages.filter((st) => st.ran).at(-1)?.model;
      return shape(out, body, { reranker: lastRan ?? (stages.length === 0 ? null : (stages.at(-1)?.model ?? null)), embedder: ready.embedder?.model.servedName ?? null }, stages.length > 1 || Array.isArray(body.rerank));
    },
  );
}
