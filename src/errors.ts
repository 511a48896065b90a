/**
 * Every error the service answers with is one of these classes. The code is the stable contract
 * clients match on; the status comes from one table so routes never pick HTTP statuses themselves.
 */
export const STATUS_BY_CODE = {
  INVALID_REQUEST: 400,
  EMPTY_QUERY: 400,
  EMPTY_DOCUMENTS: 400,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_DOCUMENTS: 413,
  DOCUMENT_TOO_LONG: 413,
  INPUT_TOO_LONG: 413,
  NOT_FOUND: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_ARGUMENT: 422,
  UNKNOWN_MODEL: 422,
  OVERLOADED: 429,
  CLIENT_CLOSED_REQUEST: 499,
  INTERNAL: 500,
  NOT_READY: 503,
  WORKER_FAILED: 503,
  SHUTTING_DOWN: 503,
  DEADLINE_EXCEEDED: 504,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

/** TEI clients branch on `error_type`; these are the values TEI itself sends. */
export type TeiErrorType = 'Validation' | 'Empty' | 'Overloaded' | 'Backend' | 'Tokenizer' | 'Unhealthy';

const TEI_TYPE_BY_CODE: Record<ErrorCode, TeiErrorType> = {
  INVALID_REQUEST: 'Validation',
  EMPTY_QUERY: 'Empty',
  EMPTY_DOCUMENTS: 'Empty',
  PAYLOAD_TOO_LARGE: 'Validation',
  TOO_MANY_DOCUMENTS: 'Validation',
  DOCUMENT_TOO_LONG: 'Validation',
  INPUT_TOO_LONG: 'Validation',
  NOT_FOUND: 'Validation',
  UNSUPPORTED_MEDIA_TYPE: 'Validation',
  INVALID_ARGUMENT: 'Validation',
  UNKNOWN_MODEL: 'Validation',
  OVERLOADED: 'Overloaded',
  CLIENT_CLOSED_REQUEST: 'Validation',
  INTERNAL: 'Backend',
  NOT_READY: 'Unhealthy',
  WORKER_FAILED: 'Backend',
  SHUTTING_DOWN: 'Unhealthy',
  DEADLINE_EXCEEDED: 'Backend',
};

export class RerankerError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Seconds a client should wait before retrying; sent as Retry-After on 429/503. */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfter?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = STATUS_BY_CODE[code];
    this.retryAfter = options?.retryAfter;
  }

  get teiErrorType(): TeiErrorType {
    return TEI_TYPE_BY_CODE[this.code];
  }
}

export class InvalidRequestError extends RerankerError {
  constructor(message: string, code: 'INVALID_REQUEST' | 'EMPTY_QUERY' | 'EMPTY_DOCUMENTS' = 'INVALID_REQUEST') {
    super(code, message);
  }
}

export class LimitExceededError extends RerankerError {
  constructor(
    message: string,
    code: 'PAYLOAD_TOO_LARGE' | 'TOO_MANY_DOCUMENTS' | 'DOCUMENT_TOO_LONG' | 'INPUT_TOO_LONG',
  ) {
    super(code, message);
  }
}

export class InvalidArgumentError extends RerankerError {
  constructor(message: string, code: 'INVALID_ARGUMENT' | 'UNKNOWN_MODEL' = 'INVALID_ARGUMENT') {
    super(code, message);
  }
}

export class NotReadyError extends RerankerError {
  constructor(message = 'The model is still loading; retry shortly.', code: 'NOT_READY' | 'SHUTTING_DOWN' = 'NOT_READY') {
    super(code, message, { retryAfter: 1 });
  }
}

export class OverloadedError extends RerankerError {
  constructor(message: string, retryAfter = 1) {
    super('OVERLOADED', message, { retryAfter });
  }
}

export class WorkerFailedError extends RerankerError {
  constructor(message: string, cause?: unknown) {
    super('WORKER_FAILED', message, { cause, retryAfter: 1 });
  }
}

/** The client hung up before its answer was ready (nginx's 499): nobody reads it, logs and metrics do. */
export class ClientClosedRequestError extends RerankerError {
  constructor() {
    super('CLIENT_CLOSED_REQUEST', 'The client closed the connection before the response was ready.');
  }
}

export class DeadlineExceededError extends RerankerError {
  constructor(message = 'The request deadline passed before its documents were scored.') {
    super('DEADLINE_EXCEEDED', message);
  }
}

/** A model folder that cannot be served; raised at start-up, never from a request. */
export class ModelLoadError extends Error {
  readonly code = 'MODEL_LOAD_FAILED';
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`Cannot load model at ${path}: ${problem}. ${fix}`);
    this.name = 'ModelLoadError';
  }
}

/** Settings that fail validation at start-up. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
