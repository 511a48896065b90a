import { beforeAll, describe, expect, it } from 'vitest';
import type { DocumentInput } from '../../src/store/document-store.js';
import type { SuiteContext } from './collection-suite.js';
import { bm25Reference } from './bm25-reference.js';
import { bruteForce, expectSameRanking, randomUnitVector, recall, seeded, type Scored } from './store-fixtures.js';

// The collection size issue 10 names for its recall bound.
const ROWS = 20_000;
const DIM = 32;
const K = 100;
const QUERIES = 12;

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
const minusL2 = (a: Float32Array, b: Float32Array): number => -Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));

/** A small vocabulary, so that lexical matches are many and ranks tie. */
const WORDS = 'river bank money loan water fish boat bridge city market price trade stone tower light night'.split(' ');

export function searchTests(ctx: SuiteContext): void {
  describe('vector leg against brute force', () => {
    const rand = seeded(42);
    const docs = Array.from({ length: ROWS }, (_, i) => ({ id: `d${String(i).padStart(5, '0')}`, vectors: [randomUnitVector(rand, DIM)], group: i % 5 }));
    const queries = Array.from({ length: QUERIES }, () => randomUnitVector(rand, DIM));
    let name = '';

    beforeAll(async () => {
      name = ctx.name('recall');
      await ctx.t.store.createCollection({ name, dimensions: DIM });
      const input: DocumentInput[] = docs.map((d) => ({ id: d.id, text: `document ${d.id}`, metadata: { group: d.group }, chunks: [{ text: `document ${d.id}`, embedding: d.vectors[0]! }] }));
      expect(await ctx.t.store.upsert(name, input)).toEqual({ upserted: ROWS, chunks: ROWS });
    });

    it('stores the vectors exactly (float32), so brute force over them is the reference', async () => {
      for (const d of docs.slice(0, 20)) {
        const stored = await ctx.t.store.getDocument(name, d.id, { vectors: true });
        expect(stored?.chunks?.[0]?.embedding).toEqual(d.vectors[0]);
      }
    });

    it(`exact mode equals brute force, and HNSW recall@${K} is at least 0.95`, async () => {
      let total = 0;
      for (const q of queries) {
        const truth = bruteForce(q, docs, K);
        const exact = await ctx.t.store.vectorSearch(name, q, K, { exact: true });
        expect(expectSameRanking(exact, truth)).toEqual([]);
        expect(exact.map((h) => h.rank)).toEqual(Array.from({ length: K }, (_, i) => i + 1));
        const approx = await ctx.t.store.vectorSearch(name, q, K);
        expect(approx).toHaveLength(K);
        // Best first, whatever order the index visited them in.
        expect(approx.every((h, i) => i === 0 || approx[i - 1]!.score >= h.score)).toBe(true);
        total += recall(approx, truth);
      }
      const mean = total / queries.length;
      console.log(`[${ctx.t.label}] HNSW recall@${K} over ${ROWS} x ${DIM}: ${mean.toFixed(4)}`);
      expect(mean).toBeGreaterThanOrEqual(0.95);
    });

    it('lets a search set HNSW\'s candidate list: more of it finds more of the true neighbours', async () => {
      const recallAt = async (efSearch: number): Promise<number> => {
        let total = 0;
        for (const q of queries) {
          const approx = await ctx.t.store.vectorSearch(name, q, K, { efSearch });
          // A list shorter than the rows asked for is raised to them, so the window stays whole.
          expect(approx).toHaveLength(K);
          total += recall(approx, bruteForce(q, docs, K));
        }
        return total / queries.length;
      };
      const low = await recallAt(10);
      const high = await recallAt(1000);
      console.log(`[${ctx.t.label}] HNSW recall@${K} with ef_search ${K}: ${low.toFixed(4)}, with 1000: ${high.toFixed(4)}`);
      expect(high).toBeGreaterThan(low);
      expect(high).toBeGreaterThanOrEqual(0.995);
      for (const bad of [0, 1001, 2.5]) await expect(ctx.t.store.vectorSearch(name, queries[0]!, K, { efSearch: bad })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it(`with a filter keeping 20% still returns ${K} rows, recall at least 0.95`, async () => {
      const kept = docs.filter((d) => d.group === 2);
      let total = 0;
      for (const q of queries) {
        const truth = bruteForce(q, kept, K);
        const exact = await ctx.t.store.vectorSearch(name, q, K, { exact: true, filter: { group: 2 } });
        expect(expectSameRanking(exact, truth)).toEqual([]);
        const approx = await ctx.t.store.vectorSearch(name, q, K, { filter: { group: 2 } });
        expect(approx).toHaveLength(K);
        expect(approx.every((h) => h.metadata['group'] === 2)).toBe(true);
        total += recall(approx, truth);
      }
      const mean = total / queries.length;
      console.log(`[${ctx.t.label}] filtered (20%) HNSW recall@${K}: ${mean.toFixed(4)}`);
      expect(mean).toBeGreaterThanOrEqual(0.95);
    });

    it('answers concurrent searches as it answers them one by one', async () => {
      const one = [];
      for (const q of queries) one.push(await ctx.t.store.vectorSearch(name, q, 10, { exact: true }));
      const many = await Promise.all(queries.map((q) => ctx.t.store.vectorSearch(name, q, 10, { exact: true })));
      expect(many).toEqual(one);
    });
  });

  describe('scores by distance', () => {
    it('is 1 - cosine distance, the inner product, or minus the L2 distance', async () => {
      const rand = seeded(7);
      const docs = Array.from({ length: 60 }, (_, i) => ({ id: `p${i}`, vectors: [Float32Array.from({ length: 8 }, () => rand() * 2 - 1)] }));
      const q = Float32Array.from({ length: 8 }, () => rand() * 2 - 1);
      const scorers = { cosine: undefined, ip: dot, l2: minusL2 };
      for (const [distance, score] of Object.entries(scorers)) {
        const name = ctx.name(`dist-${distance}`);
        await ctx.t.store.createCollection({ name, dimensions: 8, distance: distance as 'cosine' });
        await ctx.t.store.upsert(name, docs.map((d) => ({ id: d.id, text: d.id, chunks: [{ text: d.id, embedding: d.vectors[0]! }] })));
        const truth = bruteForce(q, docs, 10, score);
        expect(expectSameRanking(await ctx.t.store.vectorSearch(name, q, 10, { exact: true }), truth, 1e-4), distance).toEqual([]);
        expect(recall(await ctx.t.store.vectorSearch(name, q, 10), truth), distance).toBeGreaterThanOrEqual(0.9);
      }
    });
  });

  describe('chunked documents', () => {
    it('appear once, by their best chunk, in both legs', async () => {
      const rand = seeded(99);
      const name = ctx.name('chunks');
      await ctx.t.store.createCollection({ name, dimensions: 16, chunking: { max_tokens: 32, overlap: 4 } });
      const docs = Array.from({ length: 200 }, (_, i) => {
        const n = 1 + (i % 4);
        const texts = Array.from({ length: n }, (_, c) => Array.from({ length: 6 }, (_, w) => WORDS[(i * 3 + c * 5 + w * 7) % WORDS.length]).join(' '));
        return { id: `c${String(i).padStart(3, '0')}`, texts, vectors: texts.map(() => randomUnitVector(rand, 16)) };
      });
      await ctx.t.store.upsert(name, docs.map((d) => ({ id: d.id, text: d.texts.join('\n'), chunks: d.texts.map((text, c) => ({ text, embedding: d.vectors[c]! })) })));
      expect(await ctx.t.store.count(name)).toBe(200);
      const q = randomUnitVector(rand, 16);
      const truth = bruteForce(q, docs, 50);
      const exact = await ctx.t.store.vectorSearch(name, q, 50, { exact: true });
      expect(expectSameRanking(exact, truth)).toEqual([]);
      expect(new Set(exact.map((h) => h.id)).size).toBe(50);
      for (const hit of exact) {
        const doc = docs.find((d) => d.id === hit.id)!;
        expect(hit.text).toBe(doc.texts.join('\n'));
        if (doc.texts.length > 1) expect(hit.chunk?.text).toBe(doc.texts[hit.chunk!.index]);
        else expect(hit.chunk).toBeUndefined();
      }
      expect(recall(await ctx.t.store.vectorSearch(name, q, 50), truth)).toBeGreaterThanOrEqual(0.9);
      // Lexical: BM25 over the chunks (each a row), a document by its best chunk, against a full scan.
      const query = 'boats near the bridges at night';
      const want = await bm25Reference(ctx.t.sql, docs.flatMap((d) => d.texts.map((text) => ({ id: d.id, text }))), query, 40);
      const lexical = await ctx.t.store.lexicalSearch(name, query, 40);
      expect(lexical.map((h) => h.id)).toEqual(want.hits.map((h) => h.id));
      lexical.forEach((h, i) => expect(Math.abs(h.score - want.hits[i]!.score)).toBeLessThan(1e-6));
    });
  });

  describe('lexical leg of an attached table against the SQL written out by hand', () => {
    const handWritten = `
      SELECT id, ts_rank_cd(to_tsvector('english', text), q) AS score
      FROM (SELECT string_agg(quote_literal(l), ' | ')::tsquery AS q FROM unnest(tsvector_to_array(to_tsvector('english', $1))) AS l) x,
           LATERAL (SELECT id, text FROM %TABLE%) d
      WHERE to_tsvector('english', text) @@ q
      ORDER BY score DESC, id LIMIT $2`;

    it('ranks documents matching any lexeme by ts_rank_cd (no term statistics for rows we never write), ties by id; stop words only give nothing', async () => {
      const rand = seeded(5);
      const name = ctx.name('lexical');
      const table = `lexsrc_${ctx.suffix}`.replace(/-/g, '_');
      const docs = Array.from({ length: 400 }, (_, i) => ({
        id: `l${String(i).padStart(3, '0')}`,
        text: Array.from({ length: 3 + Math.floor(rand() * 12) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ') + (i % 3 === 0 ? ' the of and' : ''),
      }));
      await ctx.t.sql.query(`CREATE TABLE ${table} (id text PRIMARY KEY, text text NOT NULL, emb vector(2) NOT NULL)`);
      await ctx.t.sql.query(`INSERT INTO ${table} SELECT * FROM unnest($1::text[], $2::text[], $3::vector[])`, [docs.map((d) => d.id), docs.map((d) => d.text), docs.map(() => `[${rand()},${rand()}]`)]);
      const created = await ctx.t.store.createCollection({ name, dimensions: 2, source: { table, id_column: 'id', text_column: 'text', vector_column: 'emb' } });
      expect(created.bm25).toBeNull();
      for (const query of ['Which banks give loans near the river?', 'towers', 'lighting the night market', 'zebra', "stone's bridge; -- trade"]) {
        const { rows } = await ctx.t.sql.query<Scored>(handWritten.replace('%TABLE%', table), [query, 60]);
        const hits = await ctx.t.store.lexicalSearch(name, query, 60);
        expect(hits.map((h) => [h.id, h.score]), query).toEqual(rows.map((r) => [r.id, r.score]));
        expect(hits.every((h, i) => h.rank === i + 1 && h.text === docs.find((d) => d.id === h.id)!.text)).toBe(true);
      }
      expect(await ctx.t.store.lexicalSearch(name, 'the of and which', 10)).toEqual([]);
      expect(await ctx.t.store.lexicalSearch(name, '', 10)).toEqual([]);
      await ctx.t.store.dropCollection(name);
      await ctx.t.sql.query(`DROP TABLE ${table}`);
    });
  });
}
