import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { FromPgliteWorker, PgliteWorkerData, ToPgliteWorker } from './pglite-messages.js';

/**
 * The embedded store's thread. PGlite runs WebAssembly on the thread that calls it, so it lives
 * here, never on the HTTP event loop, behind pglite-socket: the main thread reaches it with the
 * same `pg` client and SQL as a real server. pglite-socket runs one statement at a time and keeps a
 * connection's transaction whole; it ignores cancel requests, and statement_timeout never fires in
 * WebAssembly (measured), which is why the main thread stops waiting instead (sql/sql-runner.ts).
 */
if (parentPort === null) throw new Error('pglite-worker runs as a worker thread');
const port = parentPort;
const data = workerData as PgliteWorkerData;
const post = (msg: FromPgliteWorker): void => port.postMessage(msg);

async function main(): Promise<void> {
  const db = await PGlite.create(data.dir, { extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: data.maxConnections });
  await server.start();
  port.on('message', (msg: ToPgliteWorker) => {
    if (msg.type !== 'stop') return;
    // Connections first, then PGlite itself: close() shuts Postgres down cleanly (a checkpoint),
    // so the next start finds a consistent data directory without recovery.
    void (async () => {
      try {
        await server.stop();
        await db.close();
        post({ type: 'stopped' });
      } catch (err) {
        post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
      } finally {
        port.close();
      }
    })();
  });
  post({ type: 'ready', port: Number(server.getServerConn().split(':').pop()) });
}

main().catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
