import type pg from 'pg';
import { InvalidArgumentError, StoreUnavailableError } from '../../errors.js';
import { REGISTRY_TABLE } from './table-names.js';
import { ensureRegistry, listRegistered, type Registered } from './registry.js';
import type { Bm25Replicas } from './bm25-replica.js';
import { addBm25Log, buildBm25Stats, ensureBm25Functions, tablesWithoutBm25Stats } from './bm25-stats.js';
import { prepareSchema } from './store-schema.js';
import type { StoreLog } from '../document-store.js';

/** What the store learnt about the database it prepared. */
export interface StoreFacts {
  /** pgvector's version, e.g. "0.8.6". */
  vector: string;
  /** pgvector >= 0.8: iterative index scans (hnsw.iterative_scan), so filtered searches fill k. */
  iterativeScan: boolean;
  /** This process's in-memory BM25 postings (bm25-replica.ts); without them the SQL leg ranks. */
  lexical?: Bm25Replicas | undefined;
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/**
 * Creates the vector extension when missing and allowed, and the collections registry. When
 * pgvector cannot be created, the error says which of the two fixes applies: install pgvector on
 * the server, or have a superuser create the extension in this database.
 */
export async function prepareDatabase(client: pg.ClientBase, schema: string, log?: StoreLog, indexMemory?: string): Promise<StoreFacts> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${REGISTRY_TABLE}:setup`]);
  let version = await vectorVersion(client);
  if (version === undefined) {
    await client.query('SAVEPOINT create_vector');
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS vector');
      await client.query('RELEASE SAVEPOINT create_vector');
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT create_vector');
      throw await missingExtension(client, err);
    }
    version = (await vectorVersion(client)) ?? '0';
  }
  // After the extension, which a fresh database thus gets in public (first on the path that exists), beside users' own tables.
  await prepareSchema(client, schema, log);
  await ensureRegistry(client);
  await ensureBm25Functions(client);
  // Collections made before BM25 get their term statistics now (issue 22), each once.
  const owned = (await listRegistered(client)).filter((r): r is Registered & { table: string } => r.table !== null);
  const missing = await tablesWithoutBm25Stats(
    client,
    owned.map((r) => r.table),
  );
  for (const reg of owned) if (missing.has(reg.table)) await buildBm25Stats(client, reg.table, reg.collection.name, reg.collection.language, log);
  // Statistics made before the change log (bm25-replica.ts) get it; replicas then build their postings from the rows.
  const logless = await tablesWithoutBm25Stats(
    client,
    owned.map((r) => r.table),
    'log',
  );
  for (const reg of owned.filter((r) => logless.has(r.table))) {
    await addBm25Log(client, reg.table);
    log?.info({ collection: reg.collection.name }, `added the BM25 change log of collection "${reg.collection.name}" (once, after the upgrade that added it); each process builds its postings from the rows`);
  }
  if (indexMemory !== undefined) await checkIndexMemory(client, indexMemory);
  return { vector: version, iterativeScan: versionAtLeast(version, 0, 8) };
}

/**
 * --store-index-memory as this database takes it, tried at start rather than at the first index
 * build: PGlite (32-bit WebAssembly) refuses 2GB and more, a server may cap it lower.
 */
async function checkIndexMemory(client: pg.ClientBase, value: string): Promise<void> {
  await client.query('SAVEPOINT index_memory');
  try {
    await client.query(`SELECT set_config('maintenance_work_mem', $1, true)`, [value]);
    await client.query('RELEASE SAVEPOINT index_memory');
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT index_memory');
    const why = err instanceof Error ? err.message : String(err);
    throw new StoreUnavailableError(`--store-index-memory ${value} is refused by the database (${why}); start the service with a value it takes, or without the setting.`, err, 60);
  }
}

async function vectorVersion(client: pg.ClientBase): Promise<string | undefined> {
  const { rows } = await client.query<{ extversion: string }>(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`);
  return rows[0]?.extversion;
}

async function missingExtension(client: pg.ClientBase, cause: unknown): Promise<StoreUnavailableError> {
  const { rows } = await client.query<{ available: boolean; db: string; usr: string }>(
    `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available, current_database() AS db, current_user AS usr`,
  );
  const { available, db, usr } = rows[0] ?? { available: false, db: '?', usr: '?' };
  const why = cause instanceof Error ? cause.message : String(cause);
  const message = available
    ? `The pgvector extension is installed on the PostgreSQL server but not created in database "${db}", and user "${usr}" may not create it (${why}). Fix: run CREATE EXTENSION vector; in database "${db}" as a superuser.`
    : `The PostgreSQL server has no pgvector extension (${why}). Fix: install pgvector on the server (https://github.com/pgvector/pgvector#installation; e.g. apt install postgresql-<major>-pgvector, or bash ../shared/scripts/install-pgvector.sh on the team's machines), then run CREATE EXTENSION vector; in database "${db}" as a superuser.`;
  return new StoreUnavailableError(message, cause, 60);
}

/** Throws unless the store has this text search configuration (checked with a parameter, listed when not). */
export async function checkTextSearchConfig(client: pg.ClientBase, language: string, what: string): Promise<void> {
  const { rows } = await client.query<{ found: boolean; known: string | null }>(
    `SELECT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = $1) AS found, (SELECT string_agg(cfgname, ', ' ORDER BY cfgname) FROM pg_ts_config) AS known`,
    [language],
  );
  if (rows[0]?.found !== true) throw new InvalidArgumentError(`${what}: the store has no text search configuration "${language}"; it has ${rows[0]?.known ?? 'none'}.`);
}
