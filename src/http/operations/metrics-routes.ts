import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Service } from '../../service.js';

export interface MetricsRoutesOptions {
  service: Service;
}

/** GET /metrics in Prometheus' text format, from the service's one registry. */
export async function metricsRoutes(fastify: FastifyInstance, { service }: MetricsRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { registry } = service.metrics;
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['operations'],
        security: [],
        response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (_req, reply) => {
      void reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
}
