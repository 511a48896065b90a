import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import type { StoreLog } from '../../src/store/document-store.js';
import { ENABLE_POSTGRES_HINT, pgliteUnderTest, postgresUnavailable, postgresUnderTest, privateDatabase, runSuffix, type StoreUnderTest } from './store-fixtures.js';

/**
 * Issue 24, item 6: every table the service creates lives in --store-schema (default `reranker`), so
 * a sidecar sharing its database collides with nothing in public; collections an older version made
 * in public are moved into the schema at start, logged, and stay readable. On both stores; the
 * Postgres half runs in a database of its own, whose public schema no other test file touches.
 */
const unavailable = await postgresUnavailable();
if (unavailable !== undefined) console.warn(`${ENABLE_POSTGRES_HINT} (${unavailable})`);

const suffix = runSuffix();
let dropDatabase: () => Promise<void> = async () => undefined;

type Opener = (opts: { schema: string; log?: StoreLog }) => Promise<StoreUnderTest>;
const backends: { label: string; skip: boolean; setUp(): Promise<Opener>; tearDown(): Promise<void> }[] = [];
let pgliteDir = '';
backends.push({
  label: 'pglite',
  skip: false,
  setUp: async () => {
    pgliteDir = await mkdtemp(join(tmpdir(), 'rr-schema-'));
    return (opts) => pgliteUnderTest({ ...opts, dataDir: pgliteDir });
  },
  tearDown: () => rm(pgliteDir, { recursive: true, force: true }),
});
backends.push({
  label: 'postgres',
  skip: unavailable !== undefined,
  setUp: async () => {
    const db = await privateDatabase(`rr_schema_${suffix}`);
    dropDatabase = db.drop;
    return (opts) => postgresUnderTest({ ...opts, url: db.url });
  },
  tearDown: () => dropDatabase(),
});

const tablesIn = async (t: StoreUnderTest, schema: string): Promise<string[]> =>
  (await t.sql.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [schema])).rows.map((r) => r.tablename);

for (const backend of backends) {
  describe.skipIf(backend.skip)(`--store-schema on ${backend.label}`, () => {
    let open: Opener;
    beforeAll(async () => {
      open = await backend.setUp();
    });
    afterAll(async () => backend.tearDown());

    it('moves what an older version kept in public into the schema, once, and keeps every document', async () => {
      // The layout before issue 24: registry and collection tables in public.
      const legacy = await open({ schema: 'public' });
      try {
        await legacy.store.createCollection({ name: 'old-docs', dimensions: 2 });
        await legacy.store.upsert('old-docs', [
          { id: 'a', text: 'alpha', metadata: { n: 1 }, chunks: [{ text: 'alpha', embedding: Float32Array.of(1, 0) }] },
          { id: 'b', text: 'beta', metadata: { n: 2 }, chunks: [{ text: 'beta', embedding: Float32Array.of(0, 1) }] },
        ]);
        expect(await tablesIn(legacy, 'public')).toEqual(expect.arrayContaining(['rr_collections', 'rrc_old-docs']));
      } finally {
        await legacy.close();
      }

      const lines: { obj: object; msg: string }[] = [];
      const log: StoreLog = { info: (obj, msg) => lines.push({ obj, msg }), warn: (obj, msg) => lines.push({ obj, msg }) };
      const moved = await open({ schema: 'reranker', log });
      try {
        expect((await moved.store.getCollection('old-docs')).name).toBe('old-docs');
        expect(await moved.store.getDocument('old-docs', 'b')).toEqual({ id: 'b', text: 'beta', metadata: { n: 2 } });
        expect(lines).toEqual([{ obj: { schema: 'reranker', collections: 1 }, msg: 'moved the collections registry and 1 collection tables from public to schema reranker (--store-schema)' }]);
        const tables = await tablesIn(moved, 'reranker');
        expect(tables).toEqual(expect.arrayContaining(['rr_collections', 'rrc_old-docs']));
        expect((await tablesIn(moved, 'public')).filter((n) => n.startsWith('rr'))).toEqual([]);
        // New collections go to the schema too.
        await moved.store.createCollection({ name: 'new-docs', dimensions: 2 });
        expect(await tablesIn(moved, 'reranker')).toContain('rrc_new-docs');
      } finally {
        await moved.close();
      }

      // A second start finds nothing left to move.
      lines.length = 0;
      const again = await open({ schema: 'reranker', log });
      try {
        expect((await again.store.listCollections()).map((c) => c.name).sort()).toEqual(['new-docs', 'old-docs']);
        expect(lines).toEqual([]);
      } finally {
        await again.close();
      }
    });

    it('another schema is another set of collections in the same database', async () => {
      const other = await open({ schema: `team_${suffix}` });
      try {
        expect(await other.store.listCollections()).toEqual([]);
        await other.store.createCollection({ name: 'mine', dimensions: 2 });
        expect(await tablesIn(other, `team_${suffix}`)).toEqual(['rr_collections', 'rrc_mine']);
      } finally {
        await other.close();
      }
    });
  });
}

describe('--store-schema setting', () => {
  it('defaults to reranker and takes a plain lowercase identifier only', () => {
    expect(buildConfig({}).store.schema).toBe('reranker');
    expect(buildConfig({ storeSchema: 'search_sidecar' }).store.schema).toBe('search_sidecar');
    for (const bad of ['Reranker', 'a-b', 'x"; DROP SCHEMA public; --', 'pg_catalog', '', '1abc']) {
      expect(() => buildConfig({ storeSchema: bad }), bad).toThrow(ConfigError);
    }
  });
});
