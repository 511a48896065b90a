import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import type { RerankJob, RerankScores } from '../../pipelines/rerank-pipeline.js';
import { InvalidArgumentError } from '../../errors.js';
import type { RerankerReady, Service } from '../../service.js';
import { cachePolicy } from '../cache-control.js';
import { commonShape, errorBody, teiErrorBody, useErrorShape, type ErrorShape } from '../error-reply.js';
import { AnyErrorBody } from '../error-schemas.js';
import { releaseParsedDocuments, takeDocuments, textEchoes } from './documents.js';
import { packTexts, textCount } from '../../text/packed-texts.js';
import { checkRerankCounts, checkRerankInput } from './limits.js';
import { requestSignal } from '../request-signal.js';
import { cohereShape, reportedScores, teiShape } from './rerank-response.js';
import { serverTiming } from '../server-timing.js';
import { truncationDirection } from '../truncation-direction.js';
import { isTeiBody, RerankBody, RerankRequest, RerankResponse, TeiRerankResponse, type TeiRerankRequest } from './schemas.js';

export interface RerankRoutesOptions {
  service: Service;
  config: Config;
}

const errors = { '4xx': AnyErrorBody, '5xx': AnyErrorBody };

/**
 * /rerank's errors: TEI's shape when the body is TEI's, the common one otherwise (a body that cannot
 * be parsed says nothing about its client). Validation messages come from the branch the client meant.
 */
const shapeByBody: ErrorShape = (e, request) => (isTeiBody(request.body) ? teiErrorBody(e) : errorBody(e));
const branchByBody = (body: unknown): number => (isTeiBody(body) ? 1 : 0);

/**
 * The rerank family: POST /rerank (Jina and TEI shapes), /v1/rerank (Cohere v1, Jina) and /v2/rerank
 * (Cohere v2). Its errors are in the common shape, /rerank's in the shape its body chose.
 */
export async function rerankRoutes(fastify: FastifyInstance, { service, config }: RerankRoutesOptions): Promise<void> {
  useErrorShape(fastify, { metrics: service.metrics, shape: commonShape });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  async function run(ready: RerankerReady, job: RerankJob, req: FastifyRequest, reply: FastifyReply): Promise<RerankScores> {
    const signal = requestSignal(req, reply, config.engine.requestTimeoutMs);
    const scores = await ready.pipeline.run({ ...job, signal, cache: cachePolicy(req.headers['cache-control']) });
    req.stats = { items: textCount(job.documents), tokens: scores.tokens, cached: scores.cachedPairs, timings: scores.timings };
    void reply.header('server-timing', serverTiming(scores.timings));
    return scores;
  }

  async function cohere(body: RerankRequest, req: FastifyRequest, reply: FastifyReply, returnDocumentsDefault: boolean, apiVersion: string) {
    // The reranker the body names (by served name or the part after the owner), else the default.
    const ready = service.reranker(body.model);
    // Counts first: no document is looked at in a request that is refused anyway.
    checkRerankCounts(body.query, body.documents.length, config.limits);
    const returnDocuments = body.return_documents ?? returnDocumentsDefault;
    const { documents, echo } = takeDocuments(body.documents, body.rank_fields, config.limits, returnDocuments);
    const truncation = { direction: truncationDirection(body.truncation_direction, config.truncationDirection), truncate: true, maxTokensPerDoc: body.max_tokens_per_doc };
    const { raw, tokens, cachedPairs } = await run(ready, { query: body.query, documents, truncation, instruction: body.instruction }, req, reply);
    return cohereShape({
      model: body.model ?? ready.model.servedName,
      apiVersion,
      echo,
      scores: reportedScores(raw, body.raw_scores ?? false),
      topN: body.top_n ?? body.top_k,
      returnDocuments,
      tokens,
      cachedPairs,
    });
  }

  async function tei(body: TeiRerankRequest, req: FastifyRequest, reply: FastifyReply) {
    const ready = service.ready().reranker;
    checkRerankInput(body.query, body.texts, config.limits);
    const truncation = { direction: truncationDirection(body.truncation_direction, config.truncationDirection), truncate: body.truncate ?? config.autoTruncate };
    const documents = packTexts(body.texts);
    const echo = body.return_text === true ? textEchoes(body.texts, documents) : undefined;
    releaseParsedDocuments(body.texts);
    const { raw } = await run(ready, { query: body.query, documents, truncation, instruction: body.instruction }, req, reply);
    return teiShape(reportedScores(raw, body.raw_scores ?? false), echo);
  }

  // /rerank in an instance of its own, so that its error handler is its own. Registered first: the
  // routes keep their order in openapi.yaml.
  await fastify.register(async (jinaOrTei: FastifyInstance) => {
    useErrorShape(jinaOrTei, { metrics: service.metrics, shape: shapeByBody, branchOf: branchByBody });
    jinaOrTei.withTypeProvider<TypeBoxTypeProvider>().post(
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
  });
  for (const [url, returnDocuments, version, summary] of [
    ['/v1/rerank', true, '1', 'Rerank documents (Cohere v1 / Jina shape)'],
    ['/v2/rerank', false, '2', 'Rerank documents (Cohere v2 shape)'],
  ] as const) {
    app.post(url, { schema: { summary, tags: ['rerank'], body: RerankRequest, response: { 200: RerankResponse, ...errors } } }, async (req, reply) =>
      cohere(req.body, req, reply, returnDocuments, version),
    );
  }
}
