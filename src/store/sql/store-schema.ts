import pg from 'pg';
import type { StoreLog } from '../document-store.js';
import { bm25Tables, REGISTRY_TABLE } from './table-names.js';

const { escapeIdentifier: id } = pg;

/**
 * Every connection of the pool looks in the store's schema first, then public (where pgvector and
 * an attached table usually are): the SQL names its tables unqualified, and they resolve and are
 * created there. Set when the connection opens, so it runs before the connection's first query.
 */
export function useStoreSchema(pool: pg.Pool, schema: string): void {
  pool.on('connect', (client) => {
    // A failure here means a dead connection, which its next query reports.
    client.query(`SET search_path TO ${id(schema)}, public`).catch(() => undefined);
  });
}

/**
 * The schema, created if missing, and the upgrade from versions that kept everything in public:
 * when public has our registry and the schema has none, the registry and the tables of the
 * collections it lists move into the schema (indexes and sequences move with their tables). Runs
 * under the setup lock, in the setup transaction, so replicas starting together move them once.
 */
export async function prepareSchema(client: pg.ClientBase, schema: string, log: StoreLog | undefined): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${id(schema)}`);
  if (schema === 'public') return;
  const { rows } = await client.query<{ legacy: string | null; current: string | null }>('SELECT to_regclass($1)::text AS legacy, to_regclass($2)::text AS current', [
    `public.${id(REGISTRY_TABLE)}`,
    `${id(schema)}.${id(REGISTRY_TABLE)}`,
  ]);
  if (rows[0]?.legacy == null || rows[0].current != null) return;
  const tables = await client.query<{ table_name: string }>(
    `SELECT r.table_name FROM public.${id(REGISTRY_TABLE)} r WHERE r.table_name IS NOT NULL AND to_regclass('public.' || quote_ident(r.table_name)) IS NOT NULL ORDER BY r.table_name`,
  );
  for (const { table_name } of tables.rows) {
    await client.query(`ALTER TABLE public.${id(table_name)} SET SCHEMA ${id(schema)}`);
    // Its BM25 statistics (a store that had them), which the triggers look for beside the table.
    for (const stats of Object.values(bm25Tables(table_name))) await client.query(`ALTER TABLE IF EXISTS public.${id(stats)} SET SCHEMA ${id(schema)}`);
  }
  await client.query(`ALTER TABLE public.${id(REGISTRY_TABLE)} SET SCHEMA ${id(schema)}`);
  log?.info({ schema, collections: tables.rows.length }, `moved the collections registry and ${tables.rows.length} collection tables from public to schema ${schema} (--store-schema)`);
}
