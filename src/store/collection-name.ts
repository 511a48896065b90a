import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

const NAME = /^[a-z0-9_-]{1,63}$/;

/** The registry of collections; no collection table can take this name (theirs start with `rrc_`). */
export const REGISTRY_TABLE = 'rr_collections';

/** Throws unless `name` is a collection name: 1-63 of a-z, 0-9, '_' and '-'. */
export function checkCollectionName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name) : typeof name;
    throw new InvalidArgumentError(`Collection names are 1 to 63 characters of a-z, 0-9, "_" and "-"; got ${shown}.`);
  }
  return name;
}

/**
 * Table of a collection: `rrc_<name>`. Postgres identifiers hold 63 bytes and the indexes append
 * up to 5 (`_hnsw`), so a name longer than 54 keeps its first 41 characters and a hash of the whole
 * name. Names are ASCII, so characters are bytes. The registry stores the table name, and its
 * UNIQUE constraint turns the (48-bit) hash colliding into an error rather than a shared table.
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
