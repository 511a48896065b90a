import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import type { Service } from '../../service.js';
import { commonShape, useErrorShape } from '../error-reply.js';
import { docsRoutes } from './docs-routes.js';
import { healthRoutes } from './health-routes.js';
import { metricsRoutes } from './metrics-routes.js';

export interface OperationsRoutesOptions {
  service: Service;
  config: Config;
}

/** The operations family: the API docs, /health, /info and /metrics, with errors in the common shape. */
export async function operationsRoutes(fastify: FastifyInstance, { service, config }: OperationsRoutesOptions): Promise<void> {
  useErrorShape(fastify, { metrics: service.metrics, shape: commonShape });
  // In the order they were registered before the families: the order of openapi.yaml's paths.
  await fastify.register(docsRoutes);
  await fastify.register(healthRoutes, { service, config });
  await fastify.register(metricsRoutes, { service });
}
