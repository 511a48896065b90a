import { afterAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { resolveDefinition } from '../../src/store/collection-definition.js';
import { buildHnswIndex } from '../../src/store/sql/collection-table.js';
import { collectionTableName, indexNames } from '../../src/store/sql/table-names.js';
import { ENABLE_POSTGRES_HINT, postgresUnavailable, postgresUnderTest, runSuffix, type StoreUnderTest } from './store-fixtures.js';

/**
 * --store-index-memory (issue 22's scale run): the service's HNSW builds run with this
 * maintenance_work_mem, for their transaction only; a value the database refuses (Postgres under
 * 1MB, PGlite from 2GB) stops the store at start with the database's reason.
 */
const unavailable = await postgresUnavailable();
if (unavailable !== undefined) console.warn(`${ENABLE_POSTGRES_HINT} (${unavailable})`);

describe('--store-index-memory', () => {
  it('takes a size with its unit and refuses anything else', () => {
    expect(buildConfig({ storeIndexMemory: '4GB' }).store.indexMemory).toBe('4GB');
    expect(buildConfig({}).store.indexMemory).toBeUndefined();
    for (const bad of ['4G', '4 GB', '0MB', 'lots', '-1MB']) expect(() => buildConfig({ storeIndexMemory: bad }), bad).toThrow(ConfigError);
  });

  it('--lexical-index takes memory (the default) or sql', () => {
    expect(buildConfig({}).store.lexicalIndex).toBe('memory');
    expect(buildConfig({ lexicalIndex: 'sql' }).store.lexicalIndex).toBe('sql');
    expect(() => buildConfig({ lexicalIndex: 'disk' })).toThrow(/--lexical-index must be one of memory, sql/);
  });

  describe.skipIf(unavailable !== undefined)('on Postgres', () => {
    const suffix = runSuffix();
    const opened: StoreUnderTest[] = [];
    afterAll(async () => {
      await opened[0]?.sql.query(`DROP SCHEMA IF EXISTS rr_mem_${suffix} CASCADE`);
      for (const s of opened) await s.close();
    });
    const withRows = async (indexMemory: string, name: string): Promise<StoreUnderTest> => {
      const s = await postgresUnderTest({ indexMemory, schema: `rr_mem_${suffix}` });
      opened.push(s);
      await s.store.createCollection({ name, dimensions: 4 });
      const docs = Array.from({ length: 50 }, (_, i) => ({ id: `d${i}`, text: `row ${i}`, metadata: {}, chunks: [{ text: `row ${i}`, embedding: Float32Array.of(i, 1, 2, 3) }] }));
      await s.store.upsert(name, docs, { deferIndex: true });
      return s;
    };

    it('is checked against the database at start, and the build runs with it', async () => {
      // Postgres' floor for maintenance_work_mem is 1MB: the store refuses to start with less, saying why.
      await expect(withRows('512kB', 'too-small')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/--store-index-memory 512kB is refused by the database \(.*maintenance_work_mem/) });
      const ok = await withRows('64MB', 'fits');
      expect(await ok.store.buildIndex('fits')).toBe(true);
      const hits = await ok.store.vectorSearch('fits', Float32Array.of(7, 1, 2, 3), 3);
      expect(hits[0]?.id).toBe('d7');
      // The build itself sets it: the same build with a value Postgres refuses fails there.
      const c = await ok.sql.connect();
      try {
        await c.query('BEGIN');
        await c.query(`DROP INDEX "${indexNames(collectionTableName('fits')).hnsw}"`);
        await expect(buildHnswIndex(c, collectionTableName('fits'), resolveDefinition({ name: 'fits', dimensions: 4 }), '512kB')).rejects.toThrow(/maintenance_work_mem/);
      } finally {
        await c.query('ROLLBACK');
        c.release();
      }
    });
  });
});
