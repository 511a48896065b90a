import pg from 'pg';
import type { ResolvedDefinition } from '../collection-definition.js';
import { opclassOf } from './pgvector-distance.js';
import { indexNames } from './table-names.js';
import { createBm25Stats, lengthColumn } from './bm25-stats.js';

const { escapeIdentifier: id, escapeLiteral: literal } = pg;

/**
 * A collection's own table: one row per chunk, (id, chunk) the key, chunk 0 for a document of one
 * chunk. `text` is the chunk's text; `doc_text` holds the whole document on chunk 0 when no chunk
 * is the whole text (several chunks; null otherwise), so getDocument and searches return the whole text.
 * Metadata is repeated on every chunk, so filters apply per row inside the index scans. The
 * language was checked against pg_ts_config and is written as a quoted literal (a generated column
 * cannot take a parameter).
 */
export async function createCollectionTable(client: pg.ClientBase, table: string, def: ResolvedDefinition): Promise<void> {
  const t = id(table);
  const names = indexNames(table);
  await client.query(`CREATE TABLE ${t} (
    id text NOT NULL,
    chunk int NOT NULL,
    text text NOT NULL,
    doc_text text,
    metadata jsonb NOT NULL DEFAULT '{}',
    embedding ${def.vector_type}(${def.dimensions}) NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector(${literal(def.language)}::regconfig, text)) STORED,
    ${lengthColumn(literal(def.language))},
    CONSTRAINT ${id(names.key)} PRIMARY KEY (id, chunk)
  )`);
  await client.query(`CREATE INDEX ${id(names.tsv)} ON ${t} USING gin (tsv)`);
  await client.query(`CREATE INDEX ${id(names.metadata)} ON ${t} USING gin (metadata jsonb_path_ops)`);
  await createBm25Stats(client, table);
}

export async function hasHnswIndex(client: pg.ClientBase, table: string): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace) AS found`,
    [indexNames(table).hnsw],
  );
  return rows[0]?.found === true;
}

/**
 * The HNSW index, built once the rows are in rather than before: in PGlite (one WebAssembly
 * thread, 2-core Xeon) 5,000 rows of 384 dimensions took 5.3 s to insert plus 5.5 s to index
 * (10.8 s), against 30.4 s inserted into an indexed table; 3,000 rows of 32 dimensions 1.4 s
 * against 3.3 s. pgvector's documentation gives the same advice for Postgres. Statistics are
 * refreshed either way; returns false when the index was already there. m and ef_construction
 * are validated integers.
 */
export async function buildHnswIndex(client: pg.ClientBase, table: string, def: ResolvedDefinition, memory?: string): Promise<boolean> {
  // Two callers building at once: the second waits here, then finds the index.
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
  const missing = !(await hasHnswIndex(client, table));
  if (missing) {
    // For this transaction only: the build's memory is the operator's choice, not every session's.
    if (memory !== undefined) await client.query(`SELECT set_config('maintenance_work_mem', $1, true)`, [memory]);
    await client.query(
      `CREATE INDEX ${id(indexNames(table).hnsw)} ON ${id(table)} USING hnsw (embedding ${opclassOf(def.distance, def.vector_type)}) WITH (m = ${def.hnsw.m}, ef_construction = ${def.hnsw.ef_construction})`,
    );
  }
  await analyzeTable(client, table);
  return missing;
}

/**
 * Fresh planner statistics. PGlite runs no autovacuum, so without this a table bulk-loaded there
 * keeps the statistics of an empty one; Postgres' autovacuum would get there later.
 */
export async function analyzeTable(client: pg.ClientBase, table: string): Promise<void> {
  await client.query(`ANALYZE ${id(table)}`);
}
