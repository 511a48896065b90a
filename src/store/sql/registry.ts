import pg from 'pg';
import { NotFoundError } from '../../errors.js';
import { checkCollectionName } from '../collection-name.js';
import { REGISTRY_TABLE } from './table-names.js';
import { DEFAULT_BM25, type ResolvedDefinition } from '../collection-definition.js';
import type { Collection } from '../document-store.js';

/** A collection and where its rows are: its own table, or the attached source (table is then null). */
export interface Registered {
  collection: Collection;
  table: string | null;
}

const T = pg.escapeIdentifier(REGISTRY_TABLE);
const COLUMNS = 'name, table_name, dimensions, distance, vector_type, language, hnsw, bm25, embedding_model, chunking, source, created_at';

interface Row {
  name: string;
  table_name: string | null;
  dimensions: number;
  distance: Collection['distance'];
  vector_type: Collection['vector_type'] | null;
  language: string;
  hnsw: Collection['hnsw'];
  bm25: Collection['bm25'];
  embedding_model: string;
  chunking: Collection['chunking'];
  source: Collection['source'];
  created_at: Date;
}

function fromRow(row: Row): Registered {
  const { table_name, created_at, ...rest } = row;
  // A collection of ours registered before BM25 has no parameters stored: the defaults.
  const bm25 = rest.bm25 ?? (table_name === null ? null : DEFAULT_BM25);
  return { collection: { ...rest, vector_type: rest.vector_type ?? 'vector', bm25, created_at: created_at.toISOString() }, table: table_name };
}

/**
 * The collections registry lives in the store itself, so definitions survive restarts and every
 * replica sharing a Postgres sees the same ones. The advisory lock keeps two replicas starting at
 * once from racing on CREATE TABLE IF NOT EXISTS (which can fail on pg_type's unique index).
 */
export async function ensureRegistry(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [REGISTRY_TABLE]);
  await client.query(`CREATE TABLE IF NOT EXISTS ${T} (
    name text PRIMARY KEY,
    table_name text UNIQUE,
    dimensions int NOT NULL,
    distance text NOT NULL,
    vector_type text,
    language text NOT NULL,
    hnsw jsonb NOT NULL,
    bm25 jsonb,
    embedding_model text NOT NULL,
    chunking jsonb,
    source jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
  )`);
  // A registry made before BM25 (issue 22).
  await client.query(`ALTER TABLE ${T} ADD COLUMN IF NOT EXISTS bm25 jsonb, ADD COLUMN IF NOT EXISTS vector_type text`);
}

export async function findCollection(client: pg.ClientBase, name: string, lock = false): Promise<Registered | undefined> {
  const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM ${T} WHERE name = $1${lock ? ' FOR UPDATE' : ''}`, [name]);
  return rows[0] === undefined ? undefined : fromRow(rows[0]);
}

/** The collection, or NotFoundError COLLECTION_NOT_FOUND; the name is checked first. */
export async function requireCollection(client: pg.ClientBase, name: string, lock = false): Promise<Registered> {
  checkCollectionName(name);
  const found = await findCollection(client, name, lock);
  if (found === undefined) throw new NotFoundError(`Collection "${name}" does not exist.`, 'COLLECTION_NOT_FOUND');
  return found;
}

export async function listRegistered(client: pg.ClientBase): Promise<Registered[]> {
  const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM ${T} ORDER BY name`);
  return rows.map(fromRow);
}

export async function insertCollection(client: pg.ClientBase, def: ResolvedDefinition, table: string | null): Promise<Registered> {
  const json = (v: unknown): string | null => (v === null ? null : JSON.stringify(v));
  const { rows } = await client.query<Row>(
    `INSERT INTO ${T} (name, table_name, dimensions, distance, language, hnsw, bm25, embedding_model, chunking, source, vector_type)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::jsonb, $10::jsonb, $11) RETURNING ${COLUMNS}`,
    [def.name, table, def.dimensions, def.distance, def.language, json(def.hnsw), json(def.bm25), def.embedding_model, json(def.chunking), json(def.source), def.vector_type],
  );
  return fromRow(rows[0]!);
}

export async function deleteCollection(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`DELETE FROM ${T} WHERE name = $1`, [name]);
}
