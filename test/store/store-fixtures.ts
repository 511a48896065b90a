import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreSettings } from '../../src/config.js';
import type { DocumentStore, StoreLog } from '../../src/store/document-store.js';
import { embeddedStore } from '../../src/store/pglite/open-embedded-store.js';
import { startPgliteServer } from '../../src/store/pglite/pglite-server.js';
import { openPostgresStore } from '../../src/store/postgres/open-postgres-store.js';
import { useStoreSchema } from '../../src/store/sql/store-schema.js';
import { cosine } from '../helpers/vectors.js';

/** A store and a plain connection pool to the same database, for the SQL the tests write by hand. */
export interface StoreUnderTest {
  label: 'pglite' | 'postgres';
  store: DocumentStore;
  sql: pg.Pool;
  close(): Promise<void>;
}

export const STORE_TEST_URL = process.env['STORE_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const ENABLE_POSTGRES_HINT = `Real-Postgres store tests skipped: no PostgreSQL with pgvector at ${STORE_TEST_URL}. Enable them with: bash ../shared/scripts/install-pgvector.sh test (or set STORE_TEST_URL).`;

/** A suffix that keeps this run's collections apart from other runs on the same database. */
export function runSuffix(): string {
  return randomBytes(4).toString('hex');
}

export async function pgliteUnderTest(opts: { timeoutMs?: number; dataDir?: string; schema?: string; log?: StoreLog } = {}): Promise<StoreUnderTest> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'rr-store-')));
  const settings: StoreSettings = { url: undefined, dataDir, timeoutMs: opts.timeoutMs ?? 30_000, poolSize: 4, schema: opts.schema ?? 'reranker' };
  const server = await startPgliteServer({ dataDir, maxConnections: 12 });
  const store = await embeddedStore(server, settings, { log: opts.log });
  // One connection, used while no store call runs: outside a transaction pglite-socket interleaves
  // parameterised statements of different connections (see sql-runner.ts).
  const sql = new pg.Pool({ host: server.host, port: server.port, user: 'postgres', database: 'postgres', max: 1 });
  // The hand-written SQL names tables as the store does: unqualified, in the store's schema (issue 24).
  useStoreSchema(sql, settings.schema);
  return {
    label: 'pglite',
    store,
    sql,
    close: async () => {
      await sql.end();
      await store.close();
      if (opts.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** One statement on a connection of its own to STORE_TEST_URL's server (CREATE and DROP DATABASE cannot run in a pool's transaction). */
export async function adminSql(sql: string): Promise<void> {
  const c = new pg.Client(STORE_TEST_URL);
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A database of its own on STORE_TEST_URL's server, for a test whose public schema or listings no other test file may touch. */
export async function privateDatabase(name: string, tablespace?: string): Promise<{ url: string; drop(): Promise<void> }> {
  await adminSql(`CREATE DATABASE ${pg.escapeIdentifier(name)}${tablespace === undefined ? '' : ` TABLESPACE ${pg.escapeIdentifier(tablespace)}`}`);
  const url = new URL(STORE_TEST_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminSql(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`) };
}

/** Undefined when Postgres with pgvector answers at STORE_TEST_URL, else why not. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: STORE_TEST_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function postgresUnderTest(opts: { timeoutMs?: number; url?: string; schema?: string; log?: StoreLog; indexMemory?: string; lexicalIndex?: 'memory' | 'sql' } = {}): Promise<StoreUnderTest> {
  const url = opts.url ?? STORE_TEST_URL;
  const settings: StoreSettings = { url, dataDir: 'unused', timeoutMs: opts.timeoutMs ?? 30_000, poolSize: 4, schema: opts.schema ?? 'reranker', indexMemory: opts.indexMemory, lexicalIndex: opts.lexicalIndex };
  const store = await openPostgresStore(url, settings, { log: opts.log });
  const sql = new pg.Pool({ connectionString: url, max: 2 });
  useStoreSchema(sql, settings.schema);
  return {
    label: 'postgres',
    store,
    sql,
    close: async () => {
      await sql.end();
      await store.close();
    },
  };
}

/** mulberry32 (the forge's generator): the same pseudo-random sequence for a seed on every machine. */
export { mulberry32 as seeded } from '../../src/tools/forge/prng.js';

export function randomUnitVector(rand: () => number, dimensions: number): Float32Array {
  const v = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // Sum of uniforms: roughly normal, so directions are spread evenly enough.
    const x = rand() + rand() + rand() - 1.5;
    v[i] = x;
    norm += x * x;
  }
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) v[i]! *= inv;
  return v;
}

export interface Scored {
  id: string;
  score: number;
}

/** Brute force: every candidate scored, best first, ties by id; a document's score is its best chunk's. */
export function bruteForce(query: Float32Array, docs: { id: string; vectors: Float32Array[] }[], k: number, score: (a: Float32Array, b: Float32Array) => number = cosine): Scored[] {
  return docs
    .map((d) => ({ id: d.id, score: Math.max(...d.vectors.map((v) => score(query, v))) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, k);
}

export function recall(found: readonly { id: string }[], truth: readonly { id: string }[]): number {
  const want = new Set(truth.map((t) => t.id));
  return found.filter((f) => want.has(f.id)).length / Math.max(1, truth.length);
}

/**
 * Exact results against brute force: the same scores position by position (pgvector sums in
 * float32), and the same ids wherever the scores around a position are not within that rounding.
 */
export function expectSameRanking(found: readonly Scored[], truth: readonly Scored[], tolerance = 1e-5): string[] {
  const problems: string[] = [];
  if (found.length !== truth.length) problems.push(`length ${found.length} != ${truth.length}`);
  truth.forEach((t, i) => {
    const f = found[i];
    if (f === undefined) return;
    if (Math.abs(f.score - t.score) > tolerance) problems.push(`#${i + 1}: score ${f.score} != ${t.score}`);
    const near = (j: number): boolean => truth[j] !== undefined && Math.abs(truth[j].score - t.score) <= tolerance;
    if (f.id !== t.id && !near(i - 1) && !near(i + 1)) problems.push(`#${i + 1}: id ${f.id} != ${t.id}`);
  });
  return problems;
}
