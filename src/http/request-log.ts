import type { FastifyInstance } from 'fastify';
import type { StageTimings } from '../pipelines/rerank-pipeline.js';

/** What a rerank handler learned, for the request's log line. */
export interface RerankStats {
  documents: number;
  tokens: number;
  cachedPairs: number;
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
    rerankStats: RerankStats | null;
    failure: RequestFailure | null;
  }
}

const ms = (seconds: number): number => Math.round(seconds * 1e4) / 10;

/**
 * Exactly one line per request, written when the response is done (Fastify's own request lines
 * are off). Counts and timings only: query and document text never reach the log.
 */
export function installRequestLog(app: FastifyInstance): void {
  app.decorateRequest('rerankStats', null);
  app.decorateRequest('failure', null);
  app.addHook('onResponse', async (request, reply) => {
    const stats = request.rerankStats;
    const failure = request.failure;
    const line = {
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(stats === null
        ? {}
        : {
            documents: stats.documents,
            tokens: stats.tokens,
            cached_pairs: stats.cachedPairs,
            stages_ms: {
              cache_lookup: ms(stats.timings.cache_lookup),
              tokenize: ms(stats.timings.tokenize),
              queue_wait: ms(stats.timings.queue_wait),
              inference: ms(stats.timings.inference),
            },
          }),
      ...(failure === null ? {} : { code: failure.code, ...(failure.err === undefined ? {} : { err: failure.err }) }),
    };
    if (reply.statusCode >= 500) request.log.error(line, 'request failed');
    else request.log.info(line, 'request done');
  });
}
