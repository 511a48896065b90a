import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { VERSION } from '../version.js';

/**
 * The groups /docs lists the routes under, in this order. Every route names one in its schema's
 * `tags`; test/ops/swagger-ui.test.ts checks that each route shows under its group in a browser.
 */
export const OPENAPI_TAGS = [
  { name: 'rerank', description: "Order candidate documents by relevance to a query with the cross-encoder, in Cohere's (v1, v2), Jina's and Hugging Face TEI's shapes." },
  { name: 'embeddings', description: "Embed texts with the sentence-transformers model, in OpenAI's and Hugging Face TEI's shapes." },
  { name: 'search', description: 'The first stage and the rerank in one call: embed the query, retrieve candidates from a collection, fuse, rerank.' },
  { name: 'collections', description: 'The document collections that search reads: create, fill, inspect and delete them.' },
  { name: 'operations', description: 'Readiness, the served models and limits, Prometheus metrics.' },
] as const;

export type OpenapiTag = (typeof OPENAPI_TAGS)[number]['name'];

/**
 * The spec is generated from the route schemas; openapi.yaml in the repo is a snapshot of it. On the
 * root, before any family, so that it sees every route; /docs and /openapi.json serve it from the
 * operations family (operations/docs-routes.ts).
 */
export const openapiPlugin = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'reranker',
        version: VERSION,
        description: 'Self-hosted cross-encoder reranking with Cohere-, Jina- and TEI-compatible APIs. Errors carry a stable `error.code`.',
      },
      tags: OPENAPI_TAGS.map((t) => ({ ...t })),
      // With --api-key set, every route but /health and /metrics needs the key; Swagger UI's Authorize button sends it.
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A key of --api-key (or of --admin-api-key, which the routes that change stored data need when it is set). Not needed when the service runs without keys.' } } },
      security: [{ apiKey: [] }],
    },
  });
});
