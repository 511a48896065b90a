import pg from 'pg';
import type { StoreSettings } from '../../config.js';
import type { OpenStoreOptions } from '../open-store-options.js';
import { guard } from '../sql/pool-guard.js';
import { SqlDocumentStore } from '../sql/sql-document-store.js';
import { SqlRunner } from '../sql/sql-runner.js';
import { useStoreSchema } from '../sql/store-schema.js';
import { startPgliteServer, type PgliteServer } from './pglite-server.js';

/**
 * The embedded store: PGlite in its worker thread, reached over pglite-socket with the same pool,
 * runner and SQL as Postgres. Without a server to cancel on, a call past the timeout answers 504 at
 * once while PGlite finishes the statement (sql/sql-runner.ts). The socket accepts a few more
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
  useStoreSchema(pool, settings.schema);
  const runner = new SqlRunner(pool, { store: `embedded PGlite in ${settings.dataDir}`, timeoutMs: settings.timeoutMs, cancel: undefined, log: opts.log, onError: opts.onError });
  const documents = new SqlDocumentStore({ kind: 'pglite', pool, runner, batchRows: opts.batchRows, observe: opts.observe, log: opts.log, schema: settings.schema, indexMemory: settings.indexMemory, lexicalIndex: settings.lexicalIndex, onClose: () => server.stop() });
  try {
    await documents.prepare();
  } catch (err) {
    await documents.close();
    throw err;
  }
  return documents;
}
