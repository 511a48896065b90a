import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequestError, LimitExceededError, RerankerError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { ErrorBody, TeiErrorBody } from './error-schemas.js';
import { fromValidation, type UnionBranch, type ValidationIssue } from './validation-error.js';

/**
 * What every API family's error handler shares: turning anything thrown into one of our errors,
 * counting it, noting it for the request's log line, and the two bodies. Which body a family
 * answers with is its own choice (its ErrorShape); the status always comes from src/errors.ts.
 */

/** Turns anything thrown into one of our errors; unknown failures become a 500 that hides internals. */
export function toRerankerError(err: FastifyError | Error, body: unknown, branchOf?: UnionBranch): RerankerError {
  if (err instanceof RerankerError) return err;
  const fe = err as FastifyError & { validation?: ValidationIssue[] };
  if (fe.validation !== undefined) return fromValidation(fe.validation, body, branchOf, fe.validationContext);
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new LimitExceededError('The request body is over the size limit.', 'PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RerankerError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidRequestError('The request body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new InvalidRequestError(`The request body is not valid JSON: ${fe.message}`);
    default:
      break;
  }
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) return new InvalidRequestError(fe.message);
  return new RerankerError('INTERNAL', 'Internal server error.', { cause: err });
}

/** The common shape: the code for programs, the message where Cohere- and Jina-style clients look. */
export function errorBody(e: RerankerError): ErrorBody {
  return { error: { code: e.code, message: e.message }, message: e.message, detail: e.message };
}

/** Hugging Face TEI's shape: its clients branch on `error_type`. */
export function teiErrorBody(e: RerankerError): TeiErrorBody {
  return { error: e.message, error_type: e.teiErrorType };
}

/** How a family writes an error's body; a family serving two APIs on one route may look at the request. */
export type ErrorShape = (e: RerankerError, request: FastifyRequest) => ErrorBody | TeiErrorBody;
export const commonShape: ErrorShape = (e) => errorBody(e);
export const teiShape: ErrorShape = (e) => teiErrorBody(e);

/**
 * The one place errors become answers: counted by code, and noted on the request for its single
 * log line (request-log.ts), which carries the cause of a 5xx that the body hides.
 */
export function replyWithError(e: RerankerError, request: FastifyRequest, reply: FastifyReply, metrics: Metrics | undefined, shape: ErrorShape, cause?: unknown): FastifyReply {
  metrics?.errors.inc({ code: e.code });
  request.failure = e.statusCode >= 500 ? { code: e.code, err: cause ?? e } : { code: e.code };
  if (e.retryAfter !== undefined) void reply.header('retry-after', String(e.retryAfter));
  void reply.code(e.statusCode);
  return reply.send(shape(e, request));
}

export interface ErrorShapeOptions {
  metrics?: Metrics | undefined;
  shape: ErrorShape;
  /** For a route whose body is a union of API shapes (see validation-error.ts). */
  branchOf?: UnionBranch;
}

/**
 * Sets the error handler of one family's encapsulated instance (never through fastify-plugin, which
 * would hand it to the parent): its routes, and the hooks and body parsing of their requests, answer
 * in the family's shape.
 */
export function useErrorShape(app: FastifyInstance, { metrics, shape, branchOf }: ErrorShapeOptions): void {
  app.setErrorHandler((err: FastifyError, request, reply) => replyWithError(toRerankerError(err, request.body, branchOf), request, reply, metrics, shape, err));
}

/**
 * A 404 in the given shape, for the global not-found handler and a family that owns a URL prefix;
 * a 405 with `Allow` when the path exists for other methods.
 */
export function notFoundHandler(metrics: Metrics | undefined, shape: ErrorShape) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = request.server.hasDecorator('routeMethods') ? request.server.routeMethods.allowed(path) : [];
    if (allowed.length === 0) return replyWithError(new RerankerError('NOT_FOUND', `No route ${request.method} ${path}.`), request, reply, metrics, shape);
    void reply.header('allow', allowed.join(', '));
    return replyWithError(new RerankerError('METHOD_NOT_ALLOWED', `${path} does not take ${request.method}; it takes ${allowed.join(', ')}.`), request, reply, metrics, shape);
  };
}
