import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import type { StoreLog } from '../../src/store/document-store.js';
import { bm25Reference } from './bm25-reference.js';
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
        expect(tables).toEqual(expect.arrayContaining(['rr_collections', 'rrc_old-docs', 'rrc_old-docs_bmt', 'rrc_old-docs_bmn', 'rrc_old-docs_bml']));
        // Its BM25 statistics moved with it: the lexical leg still finds and scores it.
        expect((await moved.store.lexicalSearch('old-docs', 'beta', 5)).map((h) => h.id)).toEqual(['b']);
        await moved.store.upsert('old-docs', [{ id: 'c', text: 'beta gamma', chunks: [{ text: 'beta gamma', embedding: Float32Array.of(1, 1) }] }]);
        expect((await moved.store.lexicalSearch('old-docs', 'gamma', 5)).map((h) => h.id)).toEqual(['c']);
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

    it('builds the BM25 statistics of a collection made before them at start, once, with a log line', async () => {
      const schema = `pre_bm25_${suffix}`;
      const texts = ['river bank loans', 'the river and the bridge', 'bank holiday', 'bridges of the river river'];
      const first = await open({ schema });
      try {
        await first.store.createCollection({ name: 'before', dimensions: 2 });
        await first.store.upsert('before', texts.map((text, i) => ({ id: `d${i}`, text, chunks: [{ text, embedding: Float32Array.of(1, i) }] })));
        // What a version before issue 22 left: the table without statistics or triggers, no bm25 in the registry.
        for (const trigger of ['rr_bm25_insert', 'rr_bm25_update', 'rr_bm25_delete']) await first.sql.query(`DROP TRIGGER ${trigger} ON "${schema}"."rrc_before"`);
        await first.sql.query(`DROP TABLE "${schema}"."rrc_before_bmt", "${schema}"."rrc_before_bmn"`);
        await first.sql.query(`ALTER TABLE "${schema}"."rrc_before" DROP COLUMN dl`);
        await first.sql.query(`UPDATE "${schema}".rr_collections SET bm25 = NULL`);
      } finally {
        await first.close();
      }
      const lines: { obj: object; msg: string }[] = [];
      const log: StoreLog = { info: (obj, msg) => lines.push({ obj, msg }), warn: (obj, msg) => lines.push({ obj, msg }) };
      const upgraded = await open({ schema, log });
      try {
        expect(lines.map((l) => l.msg)).toEqual(['building the BM25 statistics of collection "before" (once, after the upgrade that added them)', 'BM25 statistics of collection "before" built']);
        expect(lines[0]?.obj).toEqual({ collection: 'before', rows: 4 });
        expect((await upgraded.store.getCollection('before')).bm25).toEqual({ k1: 1.2, b: 0.75 });
        const want = await bm25Reference(upgraded.sql, texts.map((text, i) => ({ id: `d${i}`, text })), 'river bridge', 10);
        const got = await upgraded.store.lexicalSearch('before', 'river bridge', 10);
        expect(got.map((h) => h.id)).toEqual(want.hits.map((h) => h.id));
        got.forEach((h, i) => expect(Math.abs(h.score - want.hits[i]!.score)).toBeLessThan(1e-6));
      } finally {
        await upgraded.close();
      }
      lines.length = 0;
      const again = await open({ schema, log });
      await again.close();
      expect(lines).toEqual([]);
    });

    it('gives statistics made before the change log their log at start, and ranks from the postings it builds', async () => {
      const schema = `pre_log_${suffix}`;
      const texts = ['river bank loans', 'the river and the bridge', 'bank holiday'];
      const first = await open({ schema });
      try {
        await first.store.createCollection({ name: 'logless', dimensions: 2 });
        await first.store.upsert('logless', texts.map((text, i) => ({ id: `d${i}`, text, chunks: [{ text, embedding: Float32Array.of(1, i) }] })));
        // What the version before the log left (issue 22's first part): statistics, no log, no pruned mark.
        await first.sql.query(`DROP TABLE "${schema}"."rrc_logless_bml"`);
        await first.sql.query(`ALTER TABLE "${schema}"."rrc_logless_bmn" DROP COLUMN pruned`);
      } finally {
        await first.close();
      }
      const lines: string[] = [];
      const upgraded = await open({ schema, log: { info: (_, msg) => lines.push(msg), warn: (_, msg) => lines.push(msg) } });
      try {
        expect(lines).toEqual(['added the BM25 change log of collection "logless" (once, after the upgrade that added it); each process builds its postings from the rows']);
        expect(await tablesIn(upgraded, schema)).toContain('rrc_logless_bml');
        const more = 'bridges of the river river';
        await upgraded.store.upsert('logless', [{ id: 'd3', text: more, chunks: [{ text: more, embedding: Float32Array.of(1, 3) }] }]);
        let via = '';
        const got = await upgraded.store.lexicalSearch('logless', 'river bridge', 10, { scored: (_, where) => (via = where) });
        expect(via).toBe('memory');
        const want = await bm25Reference(upgraded.sql, [...texts, more].map((text, i) => ({ id: `d${i}`, text })), 'river bridge', 10);
        expect(got.map((h) => h.id)).toEqual(want.hits.map((h) => h.id));
      } finally {
        await upgraded.close();
      }
    });

    it('another schema is another set of collections in the same database', async () => {
      const other = await open({ schema: `team_${suffix}` });
      try {
        expect(await other.store.listCollections()).toEqual([]);
        await other.store.createCollection({ name: 'mine', dimensions: 2 });
        expect(await tablesIn(other, `team_${suffix}`)).toEqual(['rr_collections', 'rrc_mine', 'rrc_mine_bml', 'rrc_mine_bmn', 'rrc_mine_bmt']);
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
