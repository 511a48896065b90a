import type { FastifyInstance } from 'fastify';
import type { StageTimings } from '../metrics.js';

/** What a handler learned, for the request's log line. */
export interface RequestStats {
  /** Documents reranked, texts embedded, or candidates searched. */
  items: number;
  tokens: number;
  /** Items answered from the cache. */
  cached: number;
  timings: StageTimings;
}

/** What the error handler decided, for the request's log line. */
export interface RequestFailure {
  code: string;
  /** Only for 5xx: the internals the response body hides. */
  err?: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    stats: RequestStats | null;
    failure: RequestFailure | null;
  }
}

const ms = (seconds: number): number => Math.round(seconds * 1e4) / 10;

/**
 * Exactly one line per request, written when the response is done (Fastify's own request lines
 * are off). Counts and timings only: query, document and input text never reach the log.
 */
export function installRequestLog(app: FastifyInstance): void {
  app.decorateRequest('stats', null);
  app.decorateRequest('failure', null);
  app.addHook('onResponse', async (request, reply) => {
    const { stats, failure } = request;
    const line = {
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(stats === null
        ? {}
        : {
            items: stats.items,
            tokens: stats.tokens,
            cached: stats.cached,
            stages_ms: Object.fromEntries(Object.entries(stats.timings).map(([stage, s]) => [stage, ms(s)])),
          }),
      ...(failure === null ? {} : { code: failure.code, ...(failure.err === undefined ? {} : { err: failure.err }) }),
    };
    // A 5xx is a failure when the error path recorded one; a route's own 503 answer (/health while
    // loading or draining, what a probe asks for) is not: polled every second or two during a start,
    // it wrote some 26 error lines on every normal start (issue 24).
    if (reply.statusCode >= 500 && failure !== null) request.log.error(line, 'request failed');
    else request.log.info(line, 'request done');
  });
}
