import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { bm25Tables } from '../../src/store/sql/table-names.js';
import type { SuiteContext } from './collection-suite.js';
import type { StoreUnderTest } from './store-fixtures.js';

const HOSTILE = ["it's", 'a;b', '--c', 'x"); DROP TABLE rr_collections; --', "'; DELETE FROM rr_collections; --", '\\back\\slash', '{"json": 1}', '$1', '日本語 🎉', '%s%n', ' leading space'];

/**
 * What must not change: this run's tables and their row counts, the registry, and no table
 * appears whose name carries SQL. Other test runs may share the database, so their tables may
 * come and go meanwhile and are not compared.
 */
async function snapshot(t: StoreUnderTest, suffix: string, except = ''): Promise<{ tables: string[]; ours: string }> {
  const { rows } = await t.sql.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename');
  const tables = rows.map((r) => r.tablename);
  const counts: string[] = [];
  // The written collection's own table, its BM25 statistics tables and change log (`<table>_bmt`, `_bmn`, `_bml`) change by design.
  const written = (n: string): boolean => except !== '' && (n === except || Object.values(bm25Tables(except)).includes(n));
  for (const table of tables.filter((n) => (n.includes(suffix) || n === 'rr_collections') && !written(n))) {
    const registry = table === 'rr_collections';
    const { rows: n } = await t.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${table.replaceAll('"', '""')}"${registry ? ' WHERE name LIKE $1' : ''}`,
      registry ? [`%${suffix}`] : [],
    );
    counts.push(`${table}:${n[0]?.n}`);
  }
  return { tables, ours: counts.join('\n') };
}

function expectUnchanged(before: { tables: string[]; ours: string }, after: { tables: string[]; ours: string }): void {
  // This run's tables (names and row counts) and this run's registry rows, exactly as they were.
  expect(after.ours).toBe(before.ours);
  // Collection tables are rrc_ plus [a-z0-9_-]; a quote, ';', a space or a backslash would mean SQL got through.
  expect(after.tables.filter((n) => /['";\s\\]/.test(n))).toEqual([]);
  expect(after.tables).toContain('rr_collections');
}

export function hostileInputTests(ctx: SuiteContext): void {
  describe('hostile input', () => {
    it('refuses collection names outside [a-z0-9_-]{1,63} with a clear error, and runs nothing', async () => {
      const { store } = ctx.t;
      const before = await snapshot(ctx.t, ctx.suffix);
      const names = ["a'b", 'a;b', 'a--b;', 'a\u0000b', 'x'.repeat(10_000), 'x'.repeat(64), '', 'Upper', 'a b', 'rrc_x"; DROP TABLE rr_collections; --', '../etc', 'é'];
      for (const name of names) {
        for (const call of [
          () => store.createCollection({ name, dimensions: 2 }),
          () => store.getCollection(name),
          () => store.dropCollection(name),
          () => store.upsert(name, []),
          () => store.vectorSearch(name, Float32Array.of(1, 0), 1),
          () => store.lexicalSearch(name, 'x', 1),
          () => store.count(name),
        ]) {
          const err = await call().catch((e: unknown) => e);
          expect(err, JSON.stringify(name.slice(0, 40))).toBeInstanceOf(InvalidArgumentError);
          expect((err as Error).message).toMatch(/Collection names are 1 to 63 characters of a-z, 0-9/);
          expect((err as Error).message.length).toBeLessThan(300);
        }
      }
      expectUnchanged(before, await snapshot(ctx.t, ctx.suffix));
    });

    it('accepts the longest names, keeping table names within 63 bytes', async () => {
      const { store } = ctx.t;
      const long = ctx.name('l'.repeat(54));
      expect(long.length).toBeLessThanOrEqual(63);
      await store.createCollection({ name: long, dimensions: 2 });
      await store.upsert(long, [{ id: 'a', text: 'a', chunks: [{ text: 'a', embedding: Float32Array.of(1, 0) }] }]);
      expect(await store.count(long)).toBe(1);
    });

    it('stores hostile ids, texts, metadata keys and values literally, and executes nothing', async () => {
      const { store } = ctx.t;
      const name = ctx.name('hostile');
      await store.createCollection({ name, dimensions: 2 });
      const before = await snapshot(ctx.t, ctx.suffix, `rrc_${name}`);
      const metadata = Object.fromEntries(HOSTILE.map((h, i) => [h, i % 2 === 0 ? h : { [h]: [h, i] }]));
      const docs = [...HOSTILE, 'x'.repeat(1024)].map((id, i) => ({ id, text: `${HOSTILE[i % HOSTILE.length]} text`, metadata, chunks: [{ text: 'chunk', embedding: Float32Array.of(1, i) }] }));
      expect(await store.upsert(name, docs)).toEqual({ upserted: docs.length, chunks: docs.length });
      for (const doc of docs) {
        expect(await store.getDocument(name, doc.id)).toEqual({ id: doc.id, text: doc.text, metadata });
      }
      const hits = await store.vectorSearch(name, Float32Array.of(1, 0), 100, { exact: true, filter: { [HOSTILE[3]!]: { $ne: 'x' }, [HOSTILE[4]!]: 'not its value' } });
      expect(hits).toHaveLength(0);
      expect((await store.vectorSearch(name, Float32Array.of(1, 0), 100, { exact: true, filter: { [HOSTILE[0]!]: HOSTILE[0]! } })).length).toBe(docs.length);
      // A field name starting with "$" is written "\\$..." (a bare one is an operator); dots and backslashes are escaped.
      const field = (key: string): string => key.replaceAll('\\', '\\\\').replaceAll('.', '\\.').replace(/^\$/, '\\$');
      for (const [i, query] of HOSTILE.entries()) {
        const found = await store.lexicalSearch(name, query, 100, { filter: { [field(query)]: { $in: [query] } } });
        expect(found.every((h) => h.metadata[query] === query)).toBe(true);
        if (i % 2 === 1) expect(found).toEqual([]);
      }
      expect(await store.deleteDocuments(name, HOSTILE.slice(0, 3))).toBe(3);
      expect(await store.count(name)).toBe(docs.length - 3);
      await store.upsert(name, docs.slice(0, 3));
      expect(await store.count(name)).toBe(docs.length);
      expectUnchanged(before, await snapshot(ctx.t, ctx.suffix, `rrc_${name}`));
    });

    it('refuses NUL characters and over-long ids clearly, naming the field', async () => {
      const { store } = ctx.t;
      const name = ctx.name('nul');
      await store.createCollection({ name, dimensions: 2 });
      const ok = { id: 'ok', text: 'ok', chunks: [{ text: 'ok', embedding: Float32Array.of(1, 0) }] };
      const cases: [object, RegExp][] = [
        [{ id: 'a\u0000b' }, /documents\[1\]\.id contains a NUL character \(U\+0000\)/],
        [{ text: 'a\u0000b' }, /documents\[1\]\.text contains a NUL/],
        [{ metadata: { k: 'a\u0000b' } }, /documents\[1\]\.metadata\.k contains a NUL/],
        [{ metadata: { 'k\u0000': 1 } }, /a key of documents\[1\]\.metadata contains a NUL/],
        [{ chunks: [{ text: '\u0000', embedding: Float32Array.of(1, 0) }] }, /documents\[1\]\.chunks\[0\]\.text contains a NUL/],
        [{ id: 'x'.repeat(10_000) }, /documents\[1\]\.id is 10000 bytes long; ids may be at most 1024 bytes/],
        [{ id: 'é'.repeat(600) }, /is 1200 bytes long/],
        [{ id: '' }, /documents\[1\]\.id must be a non-empty string/],
        [{ metadata: [1] }, /documents\[1\]\.metadata must be a JSON object/],
      ];
      for (const [bad, message] of cases) {
        const err = await store.upsert(name, [ok, { ...ok, ...bad }]).catch((e: unknown) => e);
        expect(err, message.source).toBeInstanceOf(InvalidArgumentError);
        expect((err as Error).message).toMatch(message);
      }
      // Nothing of a refused call is written, not even its valid documents.
      expect(await store.count(name)).toBe(0);
      await expect(store.getDocument(name, 'x'.repeat(10_000))).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.deleteDocuments(name, ['a\u0000'])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.lexicalSearch(name, 'a\u0000', 5)).rejects.toBeInstanceOf(InvalidArgumentError);
    });
  });
}
