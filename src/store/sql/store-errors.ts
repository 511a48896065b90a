import { NotFoundError, RerankerError, StoreFaultError, StoreTimeoutError, StoreUnavailableError } from '../../errors.js';

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
 * What the store's disk, mode or limits refuse, by SQLSTATE (Postgres and PGlite raise the same) or by
 * the errno Node reports for files the service touches itself. Checked before the connection errors:
 * 57P03 and 53300 arrive as a connection fails, but say more than "unreachable".
 */
function storeFault(err: unknown, store: string, message: string): StoreFaultError | undefined {
  const code = codeOf(err);
  if (code === '53100' || code === 'ENOSPC' || /No space left on device|could not extend file/.test(message)) {
    return new StoreFaultError(
      'STORE_FULL',
      `The document store (${store}) is out of disk space, so nothing was written: ${message}. Free space on the volume that holds its files (the embedded store's data directory, or the server's data directory or tablespace), or delete documents or collections; reads keep working and writes resume once there is room.`,
      err,
    );
  }
  if (code === '25006' || code === 'EROFS' || /read-only file system/i.test(message)) {
    return new StoreFaultError(
      'STORE_READ_ONLY',
      `The document store (${store}) accepts no writes now (a standby or read-only server, or a read-only file system): ${message}. Reads keep working; point the service at the primary or make the store writable.`,
      err,
      5,
    );
  }
  if (code === '57P03') return new StoreFaultError('STORE_RECOVERING', `The document store (${store}) is starting up or recovering: ${message}. Retry shortly.`, err, 2);
  if (code === '53300') {
    return new StoreFaultError(
      'STORE_CONNECTIONS_EXHAUSTED',
      `The document store (${store}) has no connection to spare: ${message}. Retry shortly; if it lasts, raise the server's max_connections or lower --store-pool-size across the replicas.`,
      err,
      1,
    );
  }
  if (code === '58030' || code === '58P01' || code === 'EIO') {
    return new StoreFaultError('STORE_IO_ERROR', `The document store (${store}) cannot read or write its files: ${message}. Check the volume and the data directory.`, err);
  }
  return undefined;
}

/**
 * The service's error for a failed store call: our own errors pass through; a full disk, a
 * read-only or recovering server, exhausted connections and I/O errors are StoreFaultError with
 * their own codes; an unreachable or terminated store is StoreUnavailableError (503 with
 * Retry-After); a statement the server cancelled is StoreTimeoutError (504); a table dropped under
 * a call is COLLECTION_NOT_FOUND. Anything else is a bug or a store problem worth a 500 and is
 * returned as it is.
 */
export function toStoreError(err: unknown, store: string): unknown {
  if (err instanceof RerankerError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const fault = storeFault(err, store, message);
  if (fault !== undefined) return fault;
  if (isConnectionError(err)) return new StoreUnavailableError(`The document store (${store}) is unavailable: ${message}`, err);
  const code = codeOf(err);
  if (code === '57014') return new StoreTimeoutError(`A document store query was cancelled: ${message}`, err);
  if (code === '42P01') return new NotFoundError(`The collection's table is gone: ${message}`, 'COLLECTION_NOT_FOUND');
  return err;
}
