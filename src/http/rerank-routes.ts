import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config, TruncationDirection } from '../config.js';
import type { RerankJob, RerankScores } from '../pipelines/rerank-pipeline.js';
import { InvalidArgumentError } from '../errors.js';
import type { RerankerReady, Service } from '../service.js';
import { cachePolicy } from './cache-control.js';
import { documentText, type InputDocument } from './documents.js';
import { checkDocumentLengths, checkRerankCounts, checkRerankInput } from './limits.js';
import { requestSignal } from './request-signal.js';
import { cohereShape, reportedScores, teiShape } from './rerank-response.js';
import { AnyErrorBody, RerankBody, RerankRequest, RerankResponse, TeiRerankResponse, type TeiRerankRequest } from './schemas/index.js';
import { serverTiming } from './server-timing.js';

export interface RerankRoutesOptions {
  service: Service;
  config: Config;
}

function direction(value: string | undefined, fallback: TruncationDirection): TruncationDirection {
  return value === undefined ? fallback : (value.toLowerCase() as TruncationDirection);
}

export function isTeiBody(body: unknown): body is TeiRerankRequest {
  return typeof body === 'object' && body !== null && 'texts' in body && !('documents' in body);
}

const errors = { '4xx': AnyErrorBody, '5xx': AnyErrorBody };

/** POST /rerank (Jina and TEI shapes), /v1/rerank (Cohere v1, Jina) and /v2/rerank (Cohere v2). */
export async function rerankRoutes(fastify: FastifyInstance, { service, config }: RerankRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  async function run(ready: RerankerReady, job: RerankJob, req: FastifyRequest, reply: FastifyReply): Promise<RerankScores> {
    const signal = requestSignal(req, reply, config.engine.requestTimeoutMs);
    const scores = await ready.pipeline.run({ ...job, signal, cache: cachePolicy(req.headers['cache-control']) });
    req.stats = { items: job.documents.length, tokens: scores.tokens, cached: scores.cachedPairs, timings: scores.timings };
    void reply.header('server-timing', serverTiming(scores.timings));
    return scores;
  }

  async function cohere(body: RerankRequest, req: FastifyRequest, reply: FastifyReply, returnDocumentsDefault: boolean, apiVersion: string) {
    const ready = service.ready().reranker;
    if (config.strictModelName && body.model !== undefined && body.model !== ready.servedModelName) {
      throw new InvalidArgumentError(`This server serves "${ready.servedModelName}", not "${body.model}".`, 'UNKNOWN_MODEL');
    }
    // Counts first: no document is looked at in a request that is refused anyway.
    checkRerankCounts(body.query, body.documents.length, config.limits);
    const documents: InputDocument[] = body.documents;
    const texts = documents.map((d, i) => documentText(d, i, body.rank_fields, config.limits.maxDocumentChars));
    checkDocumentLengths(texts, config.limits);
    const truncation = { direction: direction(body.truncation_direction, config.truncationDirection), truncate: true, maxTokensPerDoc: body.max_tokens_per_doc };
    const { raw, tokens, cachedPairs } = await run(ready, { query: body.query, documents: texts, truncation }, req, reply);
    return cohereShape({
      model: body.model ?? ready.servedModelName,
      apiVersion,
      documents,
      scores: reportedScores(raw, body.raw_scores ?? false),
      topN: body.top_n ?? body.top_k,
      returnDocuments: body.return_documents ?? returnDocumentsDefault,
      tokens,
      cachedPairs,
    });
  }

  async function tei(body: TeiRerankRequest, req: FastifyRequest, reply: FastifyReply) {
    const ready = service.ready().reranker;
    checkRerankInput(body.query, body.texts, config.limits);
    const truncation = { direction: direction(body.truncation_direction, config.truncationDirection), truncate: body.truncate ?? config.autoTruncate };
    const { raw } = await run(ready, { query: body.query, documents: body.texts, truncation }, req, reply);
    return teiShape(body.texts, reportedScores(raw, body.raw_scores ?? false), body.return_text ?? false);
  }

  app.post(
    '/rerank',
    {
      schema: {
        summary: 'Rerank documents (Jina shape; TEI shape when the body has `texts`)',
        tags: ['rerank'],
        body: RerankBody,
        response: { 200: Type.Union([RerankResponse, TeiRerankResponse]), ...errors },
      },
    },
    async (req, reply) => (isTeiBody(req.body) ? tei(req.body, req, reply) : cohere(req.body, req, reply, true, '1')),
  );
  for (const [url, returnDocuments, version, summary] of [
    ['/v1/rerank', true, '1', 'Rerank documents (Cohere v1 / Jina shape)'],
    ['/v2/rerank', false, '2', 'Rerank documents (Cohere v2 shape)'],
  ] as const) {
    app.post(url, { schema: { summary, tags: ['rerank'], body: RerankRequest, response: { 200: RerankResponse, ...errors } } }, async (req, reply) =>
      cohere(req.body, req, reply, returnDocuments, version),
    );
  }
}
