import { describe, expect, it } from 'vitest';
import { collectionTableName, indexNames } from '../../src/store/sql/table-names.js';
import type { SuiteContext } from './collection-suite.js';
import { bruteForce, expectSameRanking, randomUnitVector, recall, seeded } from './store-fixtures.js';

// Node 24's Math.f16round (ES2025), which TypeScript's lib here does not declare yet: the nearest 2-byte float.
const f16round = (Math as unknown as { f16round(x: number): number }).f16round;
const half = (v: Float32Array): Float32Array => Float32Array.from(v, (x) => f16round(x));

/** Issue 22, item 4: `vector_type: "halfvec"` stores 2-byte floats and indexes them with halfvec's HNSW operator classes. */
export function halfvecTests(ctx: SuiteContext): void {
  describe('halfvec collections', () => {
    it('keep vectors at half precision, search exactly over them, and build an HNSW index about half the size', async () => {
      const rand = seeded(16);
      const dims = 384;
      const docs = Array.from({ length: 1500 }, (_, i) => ({ id: `h${String(i).padStart(4, '0')}`, vectors: [randomUnitVector(rand, dims)] }));
      const names = { vector: ctx.name('full'), halfvec: ctx.name('half') };
      for (const [type, name] of Object.entries(names)) {
        const created = await ctx.t.store.createCollection({ name, dimensions: dims, vector_type: type as 'vector' | 'halfvec' });
        expect(created.vector_type).toBe(type);
        await ctx.t.store.upsert(name, docs.map((d) => ({ id: d.id, text: d.id, chunks: [{ text: d.id, embedding: d.vectors[0]! }] })));
      }
      // Read back as the nearest 2-byte float of each component.
      expect((await ctx.t.store.getDocument(names.halfvec, 'h0007', { vectors: true }))?.chunks?.[0]?.embedding).toEqual(half(docs[7]!.vectors[0]!));

      const rounded = docs.map((d) => ({ id: d.id, vectors: d.vectors.map(half) }));
      let total = 0;
      for (let q = 0; q < 8; q++) {
        const query = randomUnitVector(rand, dims);
        // The query is cast to halfvec too; pgvector then computes in float32.
        const truth = bruteForce(half(query), rounded, 50);
        expect(expectSameRanking(await ctx.t.store.vectorSearch(names.halfvec, query, 50, { exact: true }), truth, 1e-4)).toEqual([]);
        total += recall(await ctx.t.store.vectorSearch(names.halfvec, query, 50), truth);
      }
      expect(total / 8).toBeGreaterThanOrEqual(0.95);

      const size = async (name: string): Promise<number> =>
        Number((await ctx.t.sql.query<{ n: string }>('SELECT pg_relation_size($1::regclass) AS n', [`"${indexNames(collectionTableName(name)).hnsw}"`])).rows[0]?.n);
      const [full, halved] = [await size(names.vector), await size(names.halfvec)];
      console.log(`[${ctx.t.label}] HNSW index of 1,500 x ${dims}: vector ${full} bytes, halfvec ${halved} bytes (${(halved / full).toFixed(2)}x)`);
      expect(halved).toBeLessThan(0.65 * full);
    });

    it('refuses halfvec for an attached table and past HNSW\'s 4,000 dimensions', async () => {
      const source = { table: 'any_table', id_column: 'id', text_column: 'body', vector_column: 'emb' };
      await expect(ctx.t.store.createCollection({ name: ctx.name('half-attached'), dimensions: 8, vector_type: 'halfvec', source })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(ctx.t.store.createCollection({ name: ctx.name('half-wide'), dimensions: 4001, vector_type: 'halfvec' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      const wide = await ctx.t.store.createCollection({ name: ctx.name('half-3k'), dimensions: 3000, vector_type: 'halfvec' });
      expect(wide.dimensions).toBe(3000);
    });
  });
}
