import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../src/errors.js';
import type { CollectionDefinition } from '../../src/store/document-store.js';
import type { SuiteContext } from './collection-suite.js';

/** A definition the types would refuse, to show the store refuses it too. */
const unchecked = (def: unknown): CollectionDefinition => def as CollectionDefinition;

const v = (...xs: number[]): Float32Array => Float32Array.from(xs);

export function collectionsTests(ctx: SuiteContext): void {
  describe('collections', () => {
    it('creates a collection with defaults, idempotently, and refuses other settings with COLLECTION_CONFLICT', async () => {
      const { store } = ctx.t;
      const name = ctx.name('defs');
      const created = await store.createCollection({ name, dimensions: 3, embedding_model: 'm1' });
      expect(created).toMatchObject({ name, dimensions: 3, distance: 'cosine', language: 'english', hnsw: { m: 16, ef_construction: 64 }, embedding_model: 'm1', chunking: null, source: null });
      expect(Date.parse(created.created_at)).toBeGreaterThan(Date.now() - 600_000);
      // The same settings, spelled out or left to their defaults: the same collection.
      expect(await store.createCollection({ name, dimensions: 3, embedding_model: 'm1', distance: 'cosine', hnsw: { m: 16 } })).toEqual(created);
      for (const other of [{ dimensions: 4 }, { distance: 'l2' as const }, { language: 'simple' }, { hnsw: { m: 8 } }, { embedding_model: 'm2' }, { chunking: { max_tokens: 128, overlap: 16 } }]) {
        const err = await store.createCollection({ name, dimensions: 3, embedding_model: 'm1', ...other }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConflictError);
        expect(err).toMatchObject({ code: 'COLLECTION_CONFLICT', statusCode: 409 });
      }
      expect(await store.getCollection(name)).toEqual(created);
      expect((await store.listCollections()).map((c) => c.name)).toContain(name);
    });

    it('keeps l2, ip, a language, HNSW settings and chunking as given', async () => {
      const { store } = ctx.t;
      const name = ctx.name('opts');
      const def = { name, dimensions: 2, distance: 'ip' as const, language: 'simple', hnsw: { m: 8, ef_construction: 32 }, chunking: { max_tokens: 64, overlap: 8 } };
      expect(await store.createCollection(def)).toMatchObject({ ...def, embedding_model: '', source: null });
      const { rows } = await ctx.t.sql.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`, [`rrc_${name}`]);
      // The HNSW index waits for the first rows (built after a bulk load); the GIN indexes exist at once.
      expect(rows.map((r) => r.indexdef).join('\n')).toMatch(/gin \(metadata jsonb_path_ops\)[\s\S]*gin \(tsv\)/);
      await store.upsert(name, [{ id: 'a', text: 'x', chunks: [{ text: 'x', embedding: v(1, 0) }] }]);
      const after = await ctx.t.sql.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = $1`, [`rrc_${name}_hnsw`]);
      expect(after.rows[0]?.indexdef).toMatch(/USING hnsw \(embedding vector_ip_ops\) WITH \(m='?8'?, ef_construction='?32'?\)/);
    });

    it('rejects settings that cannot work, with the reason', async () => {
      const { store } = ctx.t;
      const name = ctx.name('bad');
      const cases: [object, RegExp][] = [
        [{ dimensions: 0 }, /dimensions must be a whole number from 1 to 2000/],
        [{ dimensions: 2001 }, /dimensions/],
        [{ dimensions: 3, distance: 'dot' }, /distance must be cosine, l2 or ip/],
        [{ dimensions: 3, language: 'klingon' }, /no text search configuration "klingon"; it has .*english/],
        [{ dimensions: 3, language: "english'; DROP TABLE x; --" }, /must name a text search configuration/],
        [{ dimensions: 3, hnsw: { m: 16, ef_construction: 20 } }, /at least twice hnsw.m/],
        [{ dimensions: 3, chunking: { max_tokens: 10, overlap: 10 } }, /chunking.overlap/],
      ];
      for (const [extra, message] of cases) {
        const err = await store.createCollection(unchecked({ name, ...extra })).catch((e: unknown) => e);
        expect(err, JSON.stringify(extra)).toBeInstanceOf(InvalidArgumentError);
        expect((err as Error).message).toMatch(message);
      }
      await expect(store.getCollection(name)).rejects.toMatchObject({ code: 'COLLECTION_NOT_FOUND' });
    });

    it('answers COLLECTION_NOT_FOUND for every call on an unknown collection', async () => {
      const { store } = ctx.t;
      const name = `missing-${Date.now()}`;
      const calls = [
        () => store.getCollection(name),
        () => store.dropCollection(name),
        () => store.count(name),
        () => store.getDocument(name, 'x'),
        () => store.deleteDocuments(name, ['x']),
        () => store.upsert(name, []),
        () => store.vectorSearch(name, v(1), 1),
        () => store.lexicalSearch(name, 'x', 1),
      ];
      for (const call of calls) {
        const err = await call().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect(err).toMatchObject({ code: 'COLLECTION_NOT_FOUND', statusCode: 404 });
      }
    });

    it('upserts with read-your-writes, replaces every old chunk, deletes documents and counts them', async () => {
      const { store } = ctx.t;
      const name = ctx.name('docs');
      await store.createCollection({ name, dimensions: 2 });
      const result = await store.upsert(name, [
        { id: 'a', text: 'alpha one. alpha two. alpha three', metadata: { n: 1 }, chunks: [{ text: 'alpha one.', embedding: v(1, 0) }, { text: 'alpha two.', embedding: v(0.8, 0.2) }, { text: 'alpha three', embedding: v(0.7, 0.3) }] },
        { id: 'b', text: 'beta', chunks: [{ text: 'beta', embedding: v(0, 1) }] },
      ]);
      expect(result).toEqual({ upserted: 2, chunks: 4 });
      expect(await store.count(name)).toBe(2);
      // Visible to both legs as soon as upsert resolves.
      expect((await store.vectorSearch(name, v(0, 1), 1))[0]?.id).toBe('b');
      expect((await store.lexicalSearch(name, 'alpha', 5)).map((h) => h.id)).toEqual(['a']);
      const a = await store.getDocument(name, 'a', { vectors: true });
      expect(a).toMatchObject({ id: 'a', text: 'alpha one. alpha two. alpha three', metadata: { n: 1 } });
      expect(a?.chunks?.map((c) => [c.index, c.text, Array.from(c.embedding)])).toEqual([
        [0, 'alpha one.', [1, 0]],
        [1, 'alpha two.', [Math.fround(0.8), Math.fround(0.2)]],
        [2, 'alpha three', [Math.fround(0.7), Math.fround(0.3)]],
      ]);
      // Re-upserting a with one chunk removes its other two.
      await store.upsert(name, [{ id: 'a', text: 'gamma', metadata: { n: 2 }, chunks: [{ text: 'gamma', embedding: v(0.5, 0.5) }] }]);
      const again = await store.getDocument(name, 'a', { vectors: true });
      expect(again).toMatchObject({ id: 'a', text: 'gamma', metadata: { n: 2 } });
      expect(again?.chunks).toHaveLength(1);
      expect(await store.lexicalSearch(name, 'alpha', 5)).toEqual([]);
      expect(await store.getDocument(name, 'nope')).toBeUndefined();
      // Documents, not chunks; unknown ids ignored.
      await store.upsert(name, [{ id: 'c', text: 'c', chunks: [{ text: 'c1', embedding: v(1, 1) }, { text: 'c2', embedding: v(1, 2) }] }]);
      expect(await store.deleteDocuments(name, ['c', 'b', 'zzz'])).toBe(2);
      expect(await store.count(name)).toBe(1);
      // Within one call, the last version of an id wins.
      await store.upsert(name, [
        { id: 'd', text: 'first', chunks: [{ text: 'first', embedding: v(1, 0) }] },
        { id: 'd', text: 'second', chunks: [{ text: 'second', embedding: v(1, 0) }] },
      ]);
      expect((await store.getDocument(name, 'd'))?.text).toBe('second');
    });

    it('refuses vectors of the wrong dimension or with NaN', async () => {
      const { store } = ctx.t;
      const name = ctx.name('dims');
      await store.createCollection({ name, dimensions: 3 });
      await expect(store.upsert(name, [{ id: 'a', text: 'a', chunks: [{ text: 'a', embedding: v(1, 2) }] }])).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH', statusCode: 422 });
      await expect(store.upsert(name, [{ id: 'a', text: 'a', chunks: [{ text: 'a', embedding: v(1, NaN, 2) }] }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(store.upsert(name, [{ id: 'a', text: 'a', chunks: [] }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(store.vectorSearch(name, v(1, 2), 5)).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
      await expect(store.vectorSearch(name, v(1, 2, 3), 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(store.vectorSearch(name, v(1, 2, 3), 1001)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await store.count(name)).toBe(0);
    });

    it('drops a collection and its table', async () => {
      const { store, sql } = ctx.t;
      const name = ctx.name('drop');
      await store.createCollection({ name, dimensions: 2 });
      await store.upsert(name, [{ id: 'a', text: 'a', chunks: [{ text: 'a', embedding: v(1, 0) }] }]);
      await store.dropCollection(name);
      await expect(store.getCollection(name)).rejects.toMatchObject({ code: 'COLLECTION_NOT_FOUND' });
      const { rows } = await sql.query('SELECT 1 FROM pg_tables WHERE tablename = $1', [`rrc_${name}`]);
      expect(rows).toHaveLength(0);
      // And the name is free again, with other settings.
      expect(await store.createCollection({ name, dimensions: 5 })).toMatchObject({ dimensions: 5 });
    });
  });
}
