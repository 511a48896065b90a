import pg from 'pg';
import { StoreUnavailableError } from '../errors.js';
import type { StoreSettings } from '../config.js';
import type { ObserveStage, StoreLog } from './document-store.js';
import { startPgliteServer, type PgliteServer } from './pglite-server.js';
import { SqlDocumentStore } from './sql-document-store.js';
import { SqlRunner } from './sql-runner.js';
import { isConnectionError } from './store-errors.js';

export interface OpenStoreOptions {
  log?: StoreLog | undefined;
  observe?: ObserveStage | undefined;
  /** Rows per committed upsert batch (default 256). */
  batchRows?: number | undefined;
}

/** pg's own error events: an idle connection dying must not become an uncaught exception. */
function guard(pool: pg.Pool, log: StoreLog | undefined): pg.Pool {
  pool.on('error', (err) => log?.warn({ err: err.message }, 'a document store connection failed'));
  // A checked-out connection that fails between two queries emits 'error' on the client itself.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Where a Postgres store is, without credentials, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'postgres';
  }
}

/**
 * PostgreSQL with pgvector. Statements are limited by statement_timeout (set for every connection)
 * and cancelled with pg_cancel_backend from a connection of their own when the caller aborts. A
 * server that is down at start-up is not fatal: the store answers 503 until it is back. A server
 * without pgvector is: the error names the fix.
 */
export async function openPostgresStore(url: string, settings: StoreSettings, opts: OpenStoreOptions): Promise<SqlDocumentStore> {
  const store = describeUrl(url);
  const pool = guard(
    new pg.Pool({
      connectionString: url,
      max: settings.poolSize,
      statement_timeout: settings.timeoutMs,
      connectionTimeoutMillis: Math.max(1000, Math.min(settings.timeoutMs, 5000)),
      idleTimeoutMillis: 30_000,
      application_name: 'reranker',
    }),
    opts.log,
  );
  const cancel = async (pid: number): Promise<void> => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, statement_timeout: 2000, application_name: 'reranker-cancel' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const runner = new SqlRunner(pool, { store, timeoutMs: settings.timeoutMs, cancel, log: opts.log });
  const documents = new SqlDocumentStore({ kind: 'postgres', pool, runner, batchRows: opts.batchRows, observe: opts.observe, log: opts.log });
  try {
    await documents.prepare();
  } catch (err) {
    if (err instanceof StoreUnavailableError && isConnectionError(err.cause)) {
      opts.log?.warn({ store, err: err.message }, 'the document store is unreachable; store calls answer 503 until it is back');
      return documents;
    }
    await documents.close();
    throw err;
  }
  return documents;
}

/**
 * The embedded store: PGlite in its worker thread, reached over pglite-socket with the same pool,
 * runner and SQL as Postgres. Without a server to cancel on, a call past the timeout answers 504 at
 * once while PGlite finishes the statement (sql-runner.ts). The socket accepts a few more
 * connections than the pool holds, for connections still being torn down after an interrupted call.
 */
export async function openEmbeddedStore(settings: StoreSettings, opts: OpenStoreOptions): Promise<SqlDocumentStore> {
  const server = await startPgliteServer({ dataDir: settings.dataDir, maxConnections: settings.poolSize * 2 + 2, log: opts.log });
  return embeddedStore(server, settings, opts);
}

/** The store over a running PGlite server; its close() also stops the server. */
export async function embeddedStore(server: PgliteServer, settings: StoreSettings, opts: OpenStoreOptions): Promise<SqlDocumentStore> {
  const pool = guard(
    new pg.Pool({ host: server.host, port: server.port, user: 'postgres', database: 'postgres', max: settings.poolSize, idleTimeoutMillis: 0 }),
    opts.log,
  );
  const runner = new SqlRunner(pool, { store: `embedded PGlite in ${settings.dataDir}`, timeoutMs: settings.timeoutMs, cancel: undefined, log: opts.log });
  const documents = new SqlDocumentStore({ kind: 'pglite', pool, runner, batchRows: opts.batchRows, observe: opts.observe, log: opts.log, onClose: () => server.stop() });
  try {
    await documents.prepare();
  } catch (err) {
    await documents.close();
    throw err;
  }
  return documents;
}
