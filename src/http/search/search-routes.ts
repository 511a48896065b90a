import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import { InvalidArgumentError } from '../../errors.js';
import type { SearchOutcome } from '../../pipelines/search-pipeline.js';
import { sigmoid } from '../../runtime/heads/activation.js';
import type { Service } from '../../service.js';
import { parseFilter } from '../../store/index.js';
import { cachePolicy } from '../cache-control.js';
import { commonShape, useErrorShape } from '../error-reply.js';
import { requestSignal } from '../request-signal.js';
import { AnyErrorBody } from '../error-schemas.js';
import { SearchRequest, SearchResponse } from './schemas.js';
import { serverTiming } from '../server-timing.js';

export interface SearchRoutesOptions {
  service: Service;
  config: Config;
}

/** The answer in the shape the README documents: scores and ranks per leg, the leg a document missed left out. */
function shape(out: SearchOutcome, body: SearchRequest, models: { reranker: string; embedder: string | null }) {
  const rawScores = body.raw_scores ?? false;
  const returnDocuments = body.return_documents ?? true;
  const threshold = body.score_threshold ?? -Infinity;
  return {
    id: randomUUID(),
    collection: out.collection.name,
    model: models,
    results: out.results.flatMap((r) => {
      const rerank = r.rerank === undefined ? undefined : rawScores ? r.rerank : sigmoid(r.rerank);
      const score = rerank ?? r.fused.score;
      // Results are best first, so the threshold only shortens the list.
      if (score < threshold) return [];
      return {
        id: r.id,
        relevance_score: score,
        ...(returnDocuments ? { document: { text: r.text, metadata: r.metadata } } : {}),
        scores: { ...(r.vector === undefined ? {} : { vector: r.vector.score }), ...(r.lexical === undefined ? {} : { lexical: r.lexical.score }), fused: r.fused.score, ...(rerank === undefined ? {} : { rerank }) },
        ranks: { ...(r.vector === undefined ? {} : { vector: r.vector.rank }), ...(r.lexical === undefined ? {} : { lexical: r.lexical.rank }), fused: r.fused.rank },
      };
    }),
    usage: { embedding_tokens: out.embeddingTokens, rerank_tokens: out.rerankTokens, cached_pairs: out.cachedPairs, candidates: out.candidates },
  };
}

/** POST /search: embed, first stage (vector and full-text legs), fusion, rerank, in one call. */
export async function searchRoutes(fastify: FastifyInstance, { service, config }: SearchRoutesOptions): Promise<void> {
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
      const topN = body.top_n ?? body.top_k ?? Math.min(10, candidates);
      const offset = body.offset ?? 0;
      if (offset + topN > candidates) throw new InvalidArgumentError(offset === 0 ? `top_n (${topN}) must not exceed candidates (${candidates}).` : `offset + top_n (${offset} + ${topN}) must not exceed candidates (${candidates}): pages come from one candidate window.`);
      if (body.ef_search !== undefined && body.ef_search < candidates) throw new InvalidArgumentError(`ef_search (${body.ef_search}) must be at least candidates (${candidates}): the index returns at most ef_search rows.`);
      if (body.query.length > config.limits.maxDocumentChars) throw new InvalidArgumentError(`query has ${body.query.length} characters, over the limit of ${config.limits.maxDocumentChars}.`);
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
        rerank: body.rerank ?? true,
        truncation: { direction: config.truncationDirection, truncate: true, maxTokensPerDoc: body.max_tokens_per_doc },
        signal: requestSignal(req, reply, config.engine.requestTimeoutMs),
        cache: cachePolicy(req.headers['cache-control']),
      });
      req.stats = { items: out.candidates, tokens: out.embeddingTokens + out.rerankTokens, cached: out.cachedPairs, timings: out.timings };
      void reply.header('server-timing', serverTiming(out.timings));
      return shape(out, body, { reranker: ready.reranker.model.servedName, embedder: ready.embedder?.model.servedName ?? null });
    },
  );
}
