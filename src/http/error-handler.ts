import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidArgumentError, InvalidRequestError, LimitExceededError, RerankerError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { isTeiBody } from './rerank-routes.js';
import type { ErrorBody } from './schemas/index.js';

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  message?: string;
}

/** Range and enum failures are well-formed requests asking for something impossible: 422, not 400. */
const SEMANTIC_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'enum', 'const', 'multipleOf']);

function describe(issue: ValidationIssue): string {
  const where = issue.instancePath === '' ? 'body' : `body${issue.instancePath.replaceAll('/', '.')}`;
  return `${where} ${issue.message ?? 'is invalid'}`;
}

/**
 * /rerank's body is a union of the Cohere/Jina and TEI shapes; Ajv reports failures of both
 * branches. Keep the branch the client meant (TEI when it sent `texts`) so the message is useful.
 */
function relevantIssues(issues: ValidationIssue[], body: unknown): ValidationIssue[] {
  const branch = isTeiBody(body) ? '#/anyOf/1/' : '#/anyOf/0/';
  const mine = issues.filter((i) => i.schemaPath.startsWith(branch));
  return mine.length > 0 ? mine : issues.filter((i) => i.keyword !== 'anyOf');
}

function fromValidation(issues: ValidationIssue[], body: unknown): RerankerError {
  const relevant = relevantIssues(issues, body);
  const chosen = relevant.length > 0 ? relevant : issues;
  const message = chosen.slice(0, 3).map(describe).join('; ');
  return chosen.every((i) => SEMANTIC_KEYWORDS.has(i.keyword)) ? new InvalidArgumentError(message) : new InvalidRequestError(message);
}

/** Turns anything thrown into one of our errors; unknown failures become a 500 that hides internals. */
export function toRerankerError(err: FastifyError | Error, body: unknown): RerankerError {
  if (err instanceof RerankerError) return err;
  const fe = err as FastifyError & { validation?: ValidationIssue[] };
  if (fe.validation !== undefined) return fromValidation(fe.validation, body);
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

export function errorBody(e: RerankerError): ErrorBody {
  return { error: { code: e.code, message: e.message }, message: e.message, detail: e.message };
}

/** Routes that speak only TEI's shape: their errors are TEI's too, whatever the body was. */
const TEI_ROUTES = new Set(['/embed']);

/**
 * TEI clients read `{error, error_type}`. A route that is TEI's alone answers so always, even
 * for a body that is not JSON; /rerank serves two shapes, so there the body decides (it is TEI's
 * when it carries `texts`), and a body that cannot be parsed gets the common shape.
 */
function teiShaped(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '';
  return TEI_ROUTES.has(path) || (path === '/rerank' && isTeiBody(request.body));
}

export function sendError(e: RerankerError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (e.retryAfter !== undefined) void reply.header('retry-after', String(e.retryAfter));
  void reply.code(e.statusCode);
  if (teiShaped(request)) return reply.send({ error: e.message, error_type: e.teiErrorType });
  return reply.send(errorBody(e));
}

/**
 * The one place errors become answers: counted by code, and noted on the request for its single
 * log line (request-log.ts), which carries the cause of a 5xx that the body hides.
 */
function fail(e: RerankerError, request: FastifyRequest, reply: FastifyReply, metrics: Metrics | undefined, cause?: unknown): FastifyReply {
  metrics?.errors.inc({ code: e.code });
  request.failure = e.statusCode >= 500 ? { code: e.code, err: cause ?? e } : { code: e.code };
  return sendError(e, request, reply);
}

export function installErrorHandling(app: FastifyInstance, metrics?: Metrics): void {
  app.setErrorHandler((err: FastifyError, request, reply) => fail(toRerankerError(err, request.body), request, reply, metrics, err));
  app.setNotFoundHandler((request, reply) =>
    fail(new RerankerError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0] ?? ''}.`), request, reply, metrics),
  );
}

/**
 * Fastify's option for what its router refuses before any route or hook runs (a URL that is not valid
 * percent-encoding, a path parameter over maxParamLength): answered like every other error.
 */
export function frameworkErrors(metrics: Metrics) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const e = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new InvalidRequestError('A path segment is longer than any collection name or document id can be.') : toRerankerError(err, undefined);
    void fail(e, request, reply, metrics, err);
  };
}
