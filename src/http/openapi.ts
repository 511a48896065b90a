import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { VERSION } from '../version.js';

/** The spec is generated from the route schemas; openapi.yaml in the repo is a snapshot of it. */
export const openapiPlugin = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'reranker',
        version: VERSION,
        description: 'Self-hosted cross-encoder reranking with Cohere-, Jina- and TEI-compatible APIs. Errors carry a stable `error.code`.',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
