import pg from 'pg';
import type { StoreSettings } from '../../config.js';
import { RerankerError } from '../../errors.js';
import type { OpenStoreOptions } from '../open-store-options.js';
import { guard } from '../sql/pool-guard.js';
import { SqlDocumentStore } from '../sql/sql-document-store.js';
import { SqlRunner } from '../sql/sql-runner.js';
import { useStoreSchema } from '../sql/store-schema.js';
import { isConnectionError } from '../sql/store-errors.js';

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
  useStoreSchema(pool, settings.schema);
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
  const runner = new SqlRunner(pool, { store, timeoutMs: settings.timeoutMs, cancel, log: opts.log, onError: opts.onError });
  const documents = new SqlDocumentStore({ kind: 'postgres', pool, runner, batchRows: opts.batchRows, observe: opts.observe, log: opts.log, schema: settings.schema, indexMemory: settings.indexMemory, lexicalIndex: settings.lexicalIndex });
  try {
    await documents.prepare();
  } catch (err) {
    // Unreachable, recovering or out of connections: a state that passes, so the store opens and answers 503 meanwhile.
    if (err instanceof RerankerError && err.statusCode === 503 && isConnectionError(err.cause)) {
      opts.log?.warn({ store, err: err.message }, 'the document store is unreachable; store calls answer 503 until it is back');
      return documents;
    }
    await documents.close();
    throw err;
  }
  return documents;
}
