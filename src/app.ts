import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { accessPlugin } from './http/access.js';
import { installJsonBodyParser } from './http/json-body.js';
import { serverOptions, transportPlugin } from './http/transport.js';
import { collectionsRoutes } from './http/collections/collections-routes.js';
import { embeddingsRoutes } from './http/embeddings/embeddings-routes.js';
import { frameworkErrors, installGlobalErrors } from './http/global-errors.js';
import { openapiPlugin } from './http/openapi.js';
import { operationsRoutes } from './http/operations/operations-routes.js';
import { rerankRoutes } from './http/rerank/rerank-routes.js';
import { installRequestLog } from './http/request-log.js';
import { installRouteMethods } from './http/route-methods.js';
import { installRequestMetrics } from './http/request-metrics.js';
import { searchRoutes } from './http/search/search-routes.js';
import type { Service } from './service.js';

export interface AppOptions {
  config: Config;
  service: Service;
  /** A pino logger; tests pass none and get a silent app. */
  logger?: FastifyBaseLogger | undefined;
}

/** The whole HTTP app; it reads nothing from the environment, everything comes in through options. */
export async function buildApp({ config, service, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger === undefined ? { logger: false } : { loggerInstance: logger }),
    bodyLimit: config.limits.maxBodyBytes,
    // Slow and idle clients: request, header and keep-alive timeouts, and the 408 in our error shape.
    ...serverOptions(config.http, service.metrics),
    requestIdHeader: 'x-request-id',
    // Document ids are up to 1024 UTF-8 bytes, percent-encoded up to three characters a byte.
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors: frameworkErrors(service.metrics),
    // While closing, requests still arriving reach the routes, which answer 503 SHUTTING_DOWN in the
    // service's error shape (and /health says draining), not Fastify's own 503 body.
    return503OnClosing: false,
    // request-log.ts writes the one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Close idle keep-alive sockets on close() while in-flight requests run to completion.
    forceCloseConnections: 'idle',
    ajv: {
      // No coercion: a string where a number belongs is a client bug worth reporting, and
      // coerceTypes 'array' would silently turn `documents: "x"` into ["x"].
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false },
    },
  });
  // Every route takes JSON (the NDJSON upsert its own type): a text/plain body is 415, not a string
  // that fails validation as a confusing 400.
  app.removeContentTypeParser('text/plain');
  installJsonBodyParser(app);
  // Before any route, so every route's path and methods are known to the 404 handlers (405 with Allow).
  installRouteMethods(app);
  // Each API family sets its own error handler (and shape); this one answers what no family owns.
  installGlobalErrors(app, service.metrics);
  installRequestMetrics(app, service.metrics);
  installRequestLog(app);
  // While draining, end keep-alive sockets after their in-flight response; otherwise close() would
  // wait for clients to hang up on their own.
  app.addHook('onSend', async (_req, reply) => {
    if (service.state === 'draining') void reply.header('connection', 'close');
  });
  // Before any route: every route, the API docs' included, goes through the key check and the transport's bounds.
  await app.register(accessPlugin, { access: config.access, metrics: service.metrics });
  await app.register(transportPlugin, { http: config.http, maxBodyBytes: config.limits.maxBodyBytes });
  await app.register(openapiPlugin);
  // One encapsulated plugin per API family, each with its own error handler.
  await app.register(operationsRoutes, { service, config });
  await app.register(rerankRoutes, { service, config });
  await app.register(embeddingsRoutes, { service, config });
  await app.register(searchRoutes, { service, config });
  await app.register(collectionsRoutes, { service, config });
  return app;
}

