import { NotFoundError, RerankerError, StoreTimeoutError, StoreUnavailableError } from '../../errors.js';

/** Socket errors and SQLSTATEs that mean the store is not there (now), rather than a bad query. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
  '3D000', // invalid_catalog_name: the database in the URL does not exist
  '28000', // invalid_authorization_specification
  '28P01', // invalid_password
]);

/** What node-postgres and pg-pool say when a connection dies or never comes, as they say it. */
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated due to connection timeout|Client was closed|Cannot use a pool after calling end/;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for errors of the connection rather than of the statement. */
export function isConnectionError(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return err instanceof Error && UNAVAILABLE_MESSAGES.test(err.message);
}

export function pgErrorCode(err: unknown): string | undefined {
  return codeOf(err);
}

/**
 * The service's error for a failed store call: our own errors pass through; an unreachable or
 * terminated store is StoreUnavailableError (503 with Retry-After); a statement the server
 * cancelled is StoreTimeoutError (504); a table dropped under a call is COLLECTION_NOT_FOUND.
 * Anything else is a bug or a store problem worth a 500 and is returned as it is.
 */
export function toStoreError(err: unknown, store: string): unknown {
  if (err instanceof RerankerError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isConnectionError(err)) return new StoreUnavailableError(`The document store (${store}) is unavailable: ${message}`, err);
  const code = codeOf(err);
  if (code === '57014') return new StoreTimeoutError(`A document store query was cancelled: ${message}`, err);
  if (code === '42P01') return new NotFoundError(`The collection's table is gone: ${message}`, 'COLLECTION_NOT_FOUND');
  return err;
}
