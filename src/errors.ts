/**
 * Every error the service answers with is one of these classes. The code is the stable contract
 * clients match on; the status comes from one table so routes never pick HTTP statuses themselves.
 */
export const STATUS_BY_CODE = {
  INVALID_REQUEST: 400,
  EMPTY_QUERY: 400,
  EMPTY_DOCUMENTS: 400,
  EMPTY_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_DOCUMENTS: 413,
  DOCUMENT_TOO_LONG: 413,
  INPUT_TOO_LONG: 413,
  NOT_FOUND: 404,
  COLLECTION_NOT_FOUND: 404,
  DOCUMENT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  COLLECTION_CONFLICT: 409,
  READ_ONLY_COLLECTION: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  INVALID_ARGUMENT: 422,
  UNKNOWN_MODEL: 422,
  INVALID_FILTER: 422,
  DIMENSION_MISMATCH: 422,
  INPUT_NOT_SCORABLE: 422,
  OVERLOADED: 429,
  CLIENT_CLOSED_REQUEST: 499,
  INTERNAL: 500,
  MODEL_OUTPUT_INVALID: 500,
  MODEL_RUN_FAILED: 500,
  NOT_READY: 503,
  WORKER_FAILED: 503,
  SHUTTING_DOWN: 503,
  SERVER_BUSY: 503,
  EMBEDDER_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  STORE_READ_ONLY: 503,
  STORE_RECOVERING: 503,
  STORE_CONNECTIONS_EXHAUSTED: 503,
  STORE_IO_ERROR: 500,
  STORE_FULL: 507,
  DEADLINE_EXCEEDED: 504,
  STORE_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

/** What a failed store call answers (store/sql/store-errors.ts); INTERNAL is a store error nothing classifies. */
export const STORE_ERROR_CODES = ['STORE_FULL', 'STORE_READ_ONLY', 'STORE_RECOVERING', 'STORE_CONNECTIONS_EXHAUSTED', 'STORE_IO_ERROR', 'STORE_UNAVAILABLE', 'STORE_TIMEOUT', 'INTERNAL'] as const satisfies readonly ErrorCode[];
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

/** TEI clients branch on `error_type`; these are the values TEI itself sends. */
export type TeiErrorType = 'Validation' | 'Empty' | 'Overloaded' | 'Backend' | 'Tokenizer' | 'Unhealthy';

const TEI_TYPE_BY_CODE: Record<ErrorCode, TeiErrorType> = {
  INVALID_REQUEST: 'Validation',
  EMPTY_QUERY: 'Empty',
  EMPTY_DOCUMENTS: 'Empty',
  EMPTY_INPUT: 'Empty',
  UNAUTHORIZED: 'Validation',
  FORBIDDEN: 'Validation',
  REQUEST_TIMEOUT: 'Validation',
  PAYLOAD_TOO_LARGE: 'Validation',
  TOO_MANY_DOCUMENTS: 'Validation',
  DOCUMENT_TOO_LONG: 'Validation',
  INPUT_TOO_LONG: 'Validation',
  NOT_FOUND: 'Validation',
  COLLECTION_NOT_FOUND: 'Validation',
  DOCUMENT_NOT_FOUND: 'Validation',
  METHOD_NOT_ALLOWED: 'Validation',
  COLLECTION_CONFLICT: 'Validation',
  READ_ONLY_COLLECTION: 'Validation',
  UNSUPPORTED_MEDIA_TYPE: 'Validation',
  HEADERS_TOO_LARGE: 'Validation',
  INVALID_ARGUMENT: 'Validation',
  UNKNOWN_MODEL: 'Validation',
  INVALID_FILTER: 'Validation',
  DIMENSION_MISMATCH: 'Validation',
  INPUT_NOT_SCORABLE: 'Validation',
  OVERLOADED: 'Overloaded',
  CLIENT_CLOSED_REQUEST: 'Validation',
  INTERNAL: 'Backend',
  MODEL_OUTPUT_INVALID: 'Backend',
  MODEL_RUN_FAILED: 'Backend',
  NOT_READY: 'Unhealthy',
  WORKER_FAILED: 'Backend',
  SHUTTING_DOWN: 'Unhealthy',
  SERVER_BUSY: 'Overloaded',
  EMBEDDER_UNAVAILABLE: 'Unhealthy',
  STORE_UNAVAILABLE: 'Unhealthy',
  STORE_READ_ONLY: 'Unhealthy',
  STORE_RECOVERING: 'Unhealthy',
  STORE_CONNECTIONS_EXHAUSTED: 'Overloaded',
  STORE_IO_ERROR: 'Backend',
  STORE_FULL: 'Backend',
  DEADLINE_EXCEEDED: 'Backend',
  STORE_TIMEOUT: 'Backend',
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

/** The same error with words before its message (e.g. how much of a bulk write was committed before it). */
export function withMessagePrefix(err: RerankerError, prefix: string): RerankerError {
  return new RerankerError(err.code, prefix + err.message, { cause: err.cause, ...(err.retryAfter === undefined ? {} : { retryAfter: err.retryAfter }) });
}

export class InvalidRequestError extends RerankerError {
  constructor(message: string, code: 'INVALID_REQUEST' | 'EMPTY_QUERY' | 'EMPTY_DOCUMENTS' | 'EMPTY_INPUT' = 'INVALID_REQUEST') {
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
  constructor(message: string, code: 'INVALID_ARGUMENT' | 'UNKNOWN_MODEL' | 'INVALID_FILTER' | 'DIMENSION_MISMATCH' = 'INVALID_ARGUMENT') {
    super(code, message);
  }
}

/** A collection or document that does not exist. */
export class NotFoundError extends RerankerError {
  constructor(message: string, code: 'COLLECTION_NOT_FOUND' | 'DOCUMENT_NOT_FOUND' | 'NOT_FOUND' = 'NOT_FOUND') {
    super(code, message);
  }
}

/** The request contradicts stored state: other collection settings, or a write to a read-only collection. */
export class ConflictError extends RerankerError {
  constructor(message: string, code: 'COLLECTION_CONFLICT' | 'READ_ONLY_COLLECTION') {
    super(code, message);
  }
}

/** The document store cannot be reached; the rest of the service keeps working. */
export class StoreUnavailableError extends RerankerError {
  constructor(message: string, cause?: unknown, retryAfter = 1) {
    super('STORE_UNAVAILABLE', message, { cause, retryAfter });
  }
}

/**
 * The store is there but cannot do what was asked (issue 23): its disk is full (507), it is read-only
 * or recovering, it has no connection to spare (503 with Retry-After), or its files cannot be read
 * or written (500). The message says what to do; the driver's words stay in `cause` and the log.
 */
export class StoreFaultError extends RerankerError {
  constructor(code: 'STORE_FULL' | 'STORE_READ_ONLY' | 'STORE_RECOVERING' | 'STORE_CONNECTIONS_EXHAUSTED' | 'STORE_IO_ERROR', message: string, cause: unknown, retryAfter?: number) {
    super(code, message, retryAfter === undefined ? { cause } : { cause, retryAfter });
  }
}

/** A store query ran past --store-timeout-ms and was cancelled. */
export class StoreTimeoutError extends RerankerError {
  constructor(message: string, cause?: unknown) {
    super('STORE_TIMEOUT', message, { cause });
  }
}

/** A route needs the embedding model and none is loaded; the message says how to add one. */
export class EmbedderUnavailableError extends RerankerError {
  constructor(message: string) {
    super('EMBEDDER_UNAVAILABLE', message, { retryAfter: 60 });
  }
}

/** The model produced NaN or an infinite value; nothing of it is cached or sent. */
export class ModelOutputInvalidError extends RerankerError {
  constructor(message: string) {
    super('MODEL_OUTPUT_INVALID', message);
  }
}

/**
 * ONNX Runtime failed on this request's input alone, while the model scores others (issue 23): the
 * message carries ONNX Runtime's, which names the operator (e.g. a Gather past its table).
 */
export class InputNotScorableError extends RerankerError {
  constructor(message: string, cause?: unknown) {
    super('INPUT_NOT_SCORABLE', message, { cause });
  }
}

/** ONNX Runtime failed on a batch and nothing shows the model can score anything: a model or runtime fault. */
export class ModelRunFailedError extends RerankerError {
  constructor(message: string, cause?: unknown) {
    super('MODEL_RUN_FAILED', message, { cause });
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

/** A request without a valid key (401), or with a key that does not open this route (403). */
export class UnauthorizedError extends RerankerError {
  constructor(message: string, code: 'UNAUTHORIZED' | 'FORBIDDEN' = 'UNAUTHORIZED') {
    super(code, message);
  }
}

/** More requests in hand than --max-concurrent-requests: come back shortly. */
export class ServerBusyError extends RerankerError {
  constructor(message: string, retryAfter = 1) {
    super('SERVER_BUSY', message, { retryAfter });
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
