import type pg from 'pg';
import { ConflictError } from '../../errors.js';
import { checkAttachedSource } from './attached-source.js';
import { differences, type ResolvedDefinition } from '../collection-definition.js';
import { collectionTableName, REGISTRY_TABLE } from './table-names.js';
import { createCollectionTable } from './collection-table.js';
import type { Collection } from '../document-store.js';
import { findCollection, insertCollection } from './registry.js';
import { pgErrorCode } from './store-errors.js';
import { checkTextSearchConfig } from './store-setup.js';

/**
 * Creates the collection, or answers the existing one when its settings are the same
 * (COLLECTION_CONFLICT when not). Inside the caller's transaction, so the table, its indexes and
 * the registry row appear together or not at all.
 */
export async function createOrMatch(c: pg.ClientBase, asked: ResolvedDefinition): Promise<Collection> {
  // One creator at a time, so two identical PUTs cannot both try CREATE TABLE.
  await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [REGISTRY_TABLE]);
  await checkTextSearchConfig(c, asked.language, 'language');
  if (asked.source !== null) {
    if (asked.source.language !== undefined) await checkTextSearchConfig(c, asked.source.language, 'source.language');
    // Resolved to "schema.table" before comparing, so "docs" and "public.docs" are the same source.
    asked.source = await checkAttachedSource(c, asked.source, asked.dimensions);
  }
  const existing = await findCollection(c, asked.name);
  if (existing !== undefined) {
    const diff = differences(existing.collection, asked);
    if (diff.length > 0) throw new ConflictError(`Collection "${asked.name}" exists with other settings (${diff.join('; ')}); delete it first to change them.`, 'COLLECTION_CONFLICT');
    return existing.collection;
  }
  const table = asked.source === null ? collectionTableName(asked.name) : null;
  if (table !== null) {
    try {
      await createCollectionTable(c, table, asked);
    } catch (err) {
      if (pgErrorCode(err) === '42P07') throw new ConflictError(`A table ${table} already exists and is not a registered collection; drop it or choose another name.`, 'COLLECTION_CONFLICT');
      throw err;
    }
  }
  return (await insertCollection(c, asked, table)).collection;
}
