import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config, TruncationDirection } from '../config.js';
import type { RerankJob, RerankScores } from '../pipelines/rerank-pipeline.js';
import { InvalidArgumentError } from '../errors.js';
import type { RerankerReady, Service } from '../service.js';
import { cachePolicy } from './cache-control.js';
import { documentText, type InputDocument } from './documents.js';
import { checkRerankInput } from './limits.js';
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
export async function rerankRoutes(app: FastifyInstance, { service, config }: RerankRoutesOptions): Promise<void> {
  async function run(ready: RerankerReady, job: RerankJob, req: FastifyRequest, reply: FastifyReply): Promise<RerankScores> {
    const signal = requestSignal(req, reply, config.engine.requestTimeoutMs);
    const scores = await ready.pipeline.run({ ...job, signal, cache: cachePolicy(req.headers['cache-control']) });
    req.stats = { items: job.documents.length, tokens: scores.tokens, cached: scores.cachedPairs, timings: scores.timings };
    void reply.header('server-timing', serverTiming(scores.timings));
    return scores;
  }

  async function cohere(req: FastifyRequest, reply: FastifyReply, returnDocumentsDefault: boolean, apiVersion: string) {
    const body = req.body as RerankRequest;
    const ready = service.ready().reranker;
    if (config.strictModelName && body.model !== undefined && body.model !== ready.servedModelName) {
      throw new InvalidArgumentError(`This server serves "${ready.servedModelName}", not "${body.model}".`, 'UNKNOWN_MODEL');
    }
    const documents = body.documents as InputDocument[];
    const texts = documents.map((d, i) => documentText(d, i, body.rank_fields));
    checkRerankInput(body.query, texts, config.limits);
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

  async function tei(req: FastifyRequest, reply: FastifyReply) {
    const body = req.body as TeiRerankRequest;
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
    async (req: FastifyRequest, reply: FastifyReply) => (isTeiBody(req.body) ? tei(req, reply) : cohere(req, reply, true, '1')),
  );
  for (const [url, returnDocuments, version, summary] of [
    ['/v1/rerank', true, '1', 'Rerank documents (Cohere v1 / Jina shape)'],
    ['/v2/rerank', false, '2', 'Rerank documents (Cohere v2 shape)'],
  ] as const) {
    app.post(url, { schema: { summary, tags: ['rerank'], body: RerankRequest, response: { 200: RerankResponse, ...errors } } }, async (req: FastifyRequest, reply: FastifyReply) =>
      cohere(req, reply, returnDocuments, version),
    );
  }
}
