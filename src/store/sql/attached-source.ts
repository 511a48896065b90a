import pg from 'pg';
import { InvalidArgumentError } from '../../errors.js';
import { qualifiedName } from './relation.js';
import type { AttachedSource } from '../document-store.js';

interface Column {
  attname: string;
  typname: string;
  atttypmod: number;
}

function bad(message: string, code: 'INVALID_ARGUMENT' | 'DIMENSION_MISMATCH' = 'INVALID_ARGUMENT'): never {
  throw new InvalidArgumentError(message, code);
}

/** Finds the schema of `table` ("schema.table", or the first schema of the search_path that has it). */
async function resolveTable(client: pg.ClientBase, table: string): Promise<{ schema: string; name: string }> {
  const parts = table.split('.');
  const [schema, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [null, parts[0]!];
  const { rows } = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname = $1 AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
       AND (CASE WHEN $2::text IS NULL THEN n.nspname = ANY (current_schemas(false)) ELSE n.nspname = $2::text END)
     ORDER BY array_position(current_schemas(false), n.nspname) LIMIT 1`,
    [name, schema],
  );
  const found = rows[0]?.nspname;
  if (found === undefined) bad(`source.table: no table or view ${JSON.stringify(table)} is visible to this store's user${schema === null ? ' on its search_path' : ''}.`);
  return { schema: found, name };
}

/**
 * Checks, when a table is attached, that it and its columns exist with usable types and that the
 * vector column has the collection's dimensions (DIMENSION_MISMATCH otherwise). Only catalog
 * queries with parameters run here, and one SELECT for a vector column declared without a
 * dimension. Returns the source with its table schema-qualified, as the registry stores it.
 */
export async function checkAttachedSource(client: pg.ClientBase, source: AttachedSource, dimensions: number): Promise<AttachedSource> {
  const { schema, name } = await resolveTable(client, source.table);
  const { rows } = await client.query<Column>(
    `SELECT a.attname, t.typname, a.atttypmod FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
     WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema, name],
  );
  const columns = new Map(rows.map((r) => [r.attname, r]));
  const table = `${schema}.${name}`;
  const column = (field: keyof AttachedSource, types?: string[]): Column => {
    const col = columns.get(source[field] as string);
    if (col === undefined) bad(`source.${field}: table ${table} has no column ${JSON.stringify(source[field])}.`);
    if (types !== undefined && !types.includes(col.typname)) bad(`source.${field}: column ${JSON.stringify(col.attname)} is ${col.typname}, not ${types.join(' or ')}.`);
    return col;
  };
  column('id_column');
  column('text_column');
  const vector = column('vector_column', ['vector']);
  if (source.metadata_column !== undefined) column('metadata_column', ['json', 'jsonb']);
  if (source.tsvector_column !== undefined) column('tsvector_column', ['tsvector']);

  let actual = vector.atttypmod > 0 ? vector.atttypmod : undefined;
  if (actual === undefined) {
    // Declared as plain `vector`: trust the first stored row (an empty table is accepted).
    const col = pg.escapeIdentifier(vector.attname);
    const sample = await client.query<{ d: number }>(`SELECT vector_dims(${col}) AS d FROM ${qualifiedName(table)} WHERE ${col} IS NOT NULL LIMIT 1`);
    actual = sample.rows[0]?.d;
  }
  if (actual !== undefined && actual !== dimensions) {
    bad(`source.vector_column: ${table}.${vector.attname} holds ${actual}-dimension vectors; the collection has ${dimensions}.`, 'DIMENSION_MISMATCH');
  }
  return { ...source, table };
}
