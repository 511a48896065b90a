import { beforeAll, describe, expect, it } from 'vitest';
import type { Bm25Settings, SearchHit } from '../../src/store/document-store.js';
import { bm25Search } from '../../src/store/sql/bm25-search.js';
import { MATCH_ALL } from '../../src/store/sql/filter-sql.js';
import { relationOf } from '../../src/store/sql/relation.js';
import { bm25Tables, collectionTableName } from '../../src/store/sql/table-names.js';
import { bm25Reference, lexemeCounts, type ReferenceHit, type ReferenceRow } from './bm25-reference.js';
import type { SuiteContext } from './collection-suite.js';
import { seeded } from './store-fixtures.js';

/** A Zipf-like vocabulary: word i drawn with weight 1 / (i + 1), so a few words are in most rows and most in few. */
const VOCABULARY = Array.from({ length: 120 }, (_, i) => `${['amber', 'basil', 'cedar', 'delta', 'ember', 'fjord', 'grove', 'heron', 'indigo', 'juniper', 'kelp', 'lotus'][i % 12]}${i < 12 ? '' : String.fromCharCode(97 + Math.floor(i / 12))}`);
const STOP_WORDS = ['the', 'of', 'and', 'a', 'to'];

function zipfText(rand: () => number, words: number): string {
  const weights = VOCABULARY.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  return Array.from({ length: words }, () => {
    if (rand() < 0.15) return STOP_WORDS[Math.floor(rand() * STOP_WORDS.length)];
    let x = rand() * total;
    for (let i = 0; i < weights.length; i++) if ((x -= weights[i] as number) <= 0) return VOCABULARY[i];
    return VOCABULARY[0];
  }).join(' ');
}

/** The service's hits against the reference: the same ids in the same order, scores within 1e-6. */
function expectSameTop(got: readonly SearchHit[], want: readonly ReferenceHit[], label: string): void {
  expect(got.map((h) => h.id), label).toEqual(want.map((h) => h.id));
  got.forEach((h, i) => expect(Math.abs(h.score - (want[i] as ReferenceHit).score), `${label}: ${h.id}`).toBeLessThan(1e-6));
  expect(got.every((h, i) => h.rank === i + 1)).toBe(true);
}

export function bm25Tests(ctx: SuiteContext): void {
  describe('BM25 lexical leg against a full scan', () => {
    const rand = seeded(22);
    const docs = new Map<string, string>();
    for (let i = 0; i < 600; i++) docs.set(`b${String(i).padStart(3, '0')}`, zipfText(rand, 3 + Math.floor(rand() * 40)));
    // A word past the tsvector's cap on positions per lexeme (its tf is what the tsvector keeps).
    docs.set('b600', `${VOCABULARY[4]} `.repeat(300).trim());
    let name = '';
    const rows = (): ReferenceRow[] => [...docs].map(([id, text]) => ({ id, text }));
    const rare = VOCABULARY[VOCABULARY.length - 3] as string;
    const common = VOCABULARY[0] as string;
    const queries = {
      single: VOCABULARY[4] as string,
      rare: `${rare}s`,
      common,
      'stop words only': 'the of and to a',
      'rare and common': `${common} ${rare} ${VOCABULARY[1]}`,
      '10 terms': [0, 2, 5, 9, 14, 22, 37, 58, 81, 110].map((i) => VOCABULARY[i]).join(' '),
    };
    const upsert = (entries: [string, string][]) =>
      ctx.t.store.upsert(
        name,
        entries.map(([id, text]) => ({ id, text, metadata: { even: Number(id.slice(1)) % 2 === 0 }, chunks: [{ text, embedding: Float32Array.of(1, 0) }] })),
      );

    const checkAll = async (when: string): Promise<void> => {
      for (const [kind, query] of Object.entries(queries)) {
        const want = await bm25Reference(ctx.t.sql, rows(), query, 25);
        let scored = -1;
        let via = '';
        const got = await ctx.t.store.lexicalSearch(name, query, 25, { scored: (n, where) => ([scored, via] = [n, where]) });
        // A collection this small is built into the process's postings by its first search.
        expect(via, query).toBe('memory');
        expectSameTop(got, want.hits, `${when}, ${kind} query "${query}"`);
        if (kind === 'stop words only') expect(got).toEqual([]);
        else expect(got.length).toBeGreaterThan(0);
        // Never more rows scored than match (the first round's budget covers these small collections).
        expect(scored).toBeLessThanOrEqual(want.matching);
      }
    };

    beforeAll(async () => {
      name = ctx.name('bm25');
      const created = await ctx.t.store.createCollection({ name, dimensions: 2 });
      expect(created.bm25).toEqual({ k1: 1.2, b: 0.75 });
      await upsert([...docs]);
    });

    it('equals the full scan for single-term, rare, common, stop-word-only and 10-term queries', async () => {
      await checkAll('after the load');
    });

    it('follows upserts that change texts, deletes, deletes by filter and metadata changes: statistics equal a recount', async () => {
      const changed = [...docs.keys()].filter((_, i) => i % 7 === 0);
      for (const id of changed) docs.set(id, zipfText(rand, 5 + Math.floor(rand() * 30)));
      await upsert(changed.map((id) => [id, docs.get(id) as string]));
      const gone = [...docs.keys()].filter((_, i) => i % 11 === 3);
      await ctx.t.store.deleteDocuments(name, gone);
      for (const id of gone) docs.delete(id);
      // Every odd document goes by filter.
      const odd = [...docs.keys()].filter((id) => Number(id.slice(1)) % 2 === 1);
      expect(await ctx.t.store.deleteMatching(name, { even: false })).toBe(odd.length);
      for (const id of odd) docs.delete(id);
      await ctx.t.store.updateMetadata(name, [...docs.keys()][0] as string, { tag: 'x' }, 'merge');
      await checkAll('after changes');

      // The statistics tables themselves equal a recount from the rows the test holds.
      const { terms, totals } = bm25Tables(collectionTableName(name));
      const counts = await lexemeCounts(ctx.t.sql, [...docs.values()]);
      const df = new Map<string, number>();
      for (const m of counts) for (const l of m.keys()) df.set(l, (df.get(l) ?? 0) + 1);
      const total = (await ctx.t.sql.query<{ n: string; total_dl: string }>(`SELECT n, total_dl FROM "${totals}"`)).rows[0];
      expect(Number(total?.n)).toBe(docs.size);
      expect(Number(total?.total_dl)).toBe(counts.reduce((sum, m) => sum + [...m.values()].reduce((a, b) => a + b, 0), 0));
      const stored = (await ctx.t.sql.query<{ lexeme: string; df: string }>(`SELECT lexeme, df FROM "${terms}" WHERE df > 0`)).rows;
      expect(new Map(stored.map((r) => [r.lexeme, Number(r.df)]))).toEqual(df);
    });

    it('prunes rank-safely: with a tiny budget the rounds widen and the top k stays exact, scoring fewer rows than match', async () => {
      const collection = await ctx.t.store.getCollection(name);
      const table = collectionTableName(name);
      const rel = relationOf({ collection, table });
      const client = await ctx.t.sql.connect();
      try {
        let fewer = 0;
        let widened = 0;
        for (const [kind, query] of Object.entries(queries)) {
          // On the one connection: PGlite serves one at a time.
          const want = await bm25Reference(client, rows(), query, 10);
          for (const budget of [1, 50, 1_000_000]) {
            const got = await bm25Search(client, rel, table, 'english', query, 10, collection.bm25 as Bm25Settings, MATCH_ALL, budget);
            expectSameTop(got.hits, want.hits, `${kind} query, budget ${budget}`);
            if (got.scored < want.matching) fewer++;
            if (got.rounds > 1) widened++;
          }
        }
        // Both paths were taken: some queries were answered from part of their matches, some had to widen.
        expect(fewer).toBeGreaterThan(0);
        expect(widened).toBeGreaterThan(0);
      } finally {
        client.release();
      }
    });

    it('takes k1 and b from the collection, and refuses them for an attached table', async () => {
      const tuned = ctx.name('bm25-tuned');
      const s = { k1: 0.6, b: 0.3 };
      expect((await ctx.t.store.createCollection({ name: tuned, dimensions: 2, bm25: s })).bm25).toEqual(s);
      const some = [...docs].slice(0, 200);
      await ctx.t.store.upsert(tuned, some.map(([id, text]) => ({ id, text, chunks: [{ text, embedding: Float32Array.of(1, 0) }] })));
      const query = queries['rare and common'];
      const want = await bm25Reference(ctx.t.sql, some.map(([id, text]) => ({ id, text })), query, 20, s);
      expectSameTop(await ctx.t.store.lexicalSearch(tuned, query, 20), want.hits, 'k1 0.6, b 0.3');
      // Settings are part of a collection's identity: the same name with others is a conflict.
      await expect(ctx.t.store.createCollection({ name: tuned, dimensions: 2 })).rejects.toMatchObject({ code: 'COLLECTION_CONFLICT' });
      await expect(ctx.t.store.createCollection({ name: tuned, dimensions: 2, bm25: { k1: 4 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      const source = { table: 'any_table', id_column: 'id', text_column: 'body', vector_column: 'emb' };
      await expect(ctx.t.store.createCollection({ name: ctx.name('bm25-attached'), dimensions: 2, source, bm25: { k1: 1 } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/attached table ranks its lexical leg with ts_rank_cd/),
      });
    });
  });
}
