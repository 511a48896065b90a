import { createHash } from 'node:crypto';
import { checkCollectionName } from '../collection-name.js';
import type { Collection } from '../document-store.js';

/** The registry of collections; no collection table can take this name (theirs start with `rrc_`). */
export const REGISTRY_TABLE = 'rr_collections';

/**
 * Table of a collection: `rrc_<name>`. Postgres identifiers hold 63 bytes and the indexes append
 * up to 5 (`_hnsw`), so a name longer than 54 keeps its first 41 characters and a hash of the whole
 * name. Names are ASCII, so characters are bytes. The registry stores the table name, and its
 * UNIQUE constraint turns the (48-bit) hash colliding into an error rather than a shared table.
 * The name alone decides the table, so a search that holds the collection needs no registry read.
 */
export function collectionTableName(name: string): string {
  checkCollectionName(name);
  if (name.length <= 54) return `rrc_${name}`;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `rrc_${name.slice(0, 41)}_${hash}`;
}

/** Names of a collection table's indexes, all within 63 bytes. */
export function indexNames(table: string): { hnsw: string; tsv: string; metadata: string; key: string } {
  return { hnsw: `${table}_hnsw`, tsv: `${table}_tsv`, metadata: `${table}_meta`, key: `${table}_pkey` };
}

/**
 * BM25's statistics tables of a collection table (sql/bm25-stats.ts): per lexeme, and the totals.
 * Suffixes of 4 bytes, within the 5 the table name leaves.
 */
export function bm25Tables(table: string): { terms: string; totals: string; log: string } {
  return { terms: `${table}_bmt`, totals: `${table}_bmn`, log: `${table}_bml` };
}

/** Where a collection's rows are: its own table, or null for an attached source, which has its table in the definition. */
export function ownTable(collection: Collection): string | null {
  return collection.source === null ? collectionTableName(collection.name) : null;
}
