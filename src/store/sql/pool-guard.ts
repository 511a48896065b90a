import type pg from 'pg';
import type { StoreLog } from '../document-store.js';

/** pg's own error events: an idle connection dying must not become an uncaught exception. */
export function guard(pool: pg.Pool, log: StoreLog | undefined): pg.Pool {
  pool.on('error', (err) => log?.warn({ err: err.message }, 'a document store connection failed'));
  // A checked-out connection that fails between two queries emits 'error' on the client itself.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
