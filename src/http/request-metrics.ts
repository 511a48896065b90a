import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from '../metrics.js';

const counted = new WeakSet<FastifyRequest>();

/**
 * Request duration by route pattern (never the raw URL: ids and typos would explode the series)
 * and the in-flight gauge. A request the client abandons may end in onRequestAbort instead of
 * onResponse, or in both; the set makes sure the gauge goes down exactly once.
 */
export function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  const done = (request: FastifyRequest): boolean => {
    if (!counted.has(request)) return false;
    counted.delete(request);
    metrics.inFlight.dec();
    return true;
  };
  app.addHook('onRequest', async (request) => {
    counted.add(request);
    metrics.inFlight.inc();
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!done(request)) return;
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requestDuration.observe({ route, method: request.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.addHook('onRequestAbort', async (request) => {
    done(request);
  });
}
