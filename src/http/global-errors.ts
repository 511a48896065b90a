import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { commonShape, notFoundHandler, replyWithError, toRerankerError, useErrorShape } from './error-reply.js';

/**
 * What no family owns answers in the common shape: an unknown route, and an error on the way to one
 * (a missing API key on an unknown URL). Each family sets its own handler over this one.
 */
export function installGlobalErrors(app: FastifyInstance, metrics?: Metrics): void {
  useErrorShape(app, { metrics, shape: commonShape });
  app.setNotFoundHandler(notFoundHandler(metrics, commonShape));
}

/**
 * Fastify's option for what its router refuses before any route or hook runs (a URL that is not valid
 * percent-encoding, a path parameter over maxParamLength): answered like every other error.
 */
export function frameworkErrors(metrics: Metrics) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const e = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new InvalidRequestError('A path segment is longer than any collection name or document id can be.') : toRerankerError(err, undefined);
    void replyWithError(e, request, reply, metrics, commonShape, err);
  };
}
