import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';

/** The API docs: Swagger UI at /docs and the spec at /openapi.json, both of the spec openapi.ts builds. */
export async function docsRoutes(fastify: FastifyInstance): Promise<void> {
  await fastify.register(swaggerUi, { routePrefix: '/docs' });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
