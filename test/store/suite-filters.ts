import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import type { SuiteContext } from './collection-suite.js';
import { matches } from './filter-reference.js';
import { seeded } from './store-fixtures.js';

const DOCS = 240;

/** Metadata with every shape the filters must tell apart: missing fields, numbers vs numeric strings, nesting, arrays, null. */
function metadataFor(i: number, rand: () => number): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (i % 7 !== 0) m['price'] = Math.floor(rand() * 100);
  if (i % 11 === 0) m['price'] = String(Math.floor(rand() * 100));
  m['color'] = ['red', 'green', 'blue', 'Red', 'gr"een'][i % 5];
  if (i % 3 === 0) m['nested'] = { level: i % 4, tag: i % 2 === 1 ? 'odd' : 'even' };
  if (i % 13 === 0) m['a.b'] = i % 2;
  m['tags'] = ['x', i % 2 === 1 ? 'y' : 'z'];
  if (i % 17 === 0) m['flag'] = null;
  else if (i % 2 === 1) m['flag'] = true;
  m['name'] = `n${i % 50}`;
  m["we'ird; --key"] = i % 3;
  m['score'] = (i % 9) / 4;
  return m;
}

export const FILTERS: Record<string, unknown>[] = [
  {},
  { color: 'red' },
  { color: 'gr"een' },
  { price: { $gt: 50 } },
  { price: { $gte: 10, $lt: 20 } },
  { price: { $lte: '50' } },
  { price: { $ne: 5 } },
  { price: { $eq: 5 } },
  { price: { $in: [1, 2, 3, '1', 10, 20, 30, 40] } },
  { 'nested.level': 2 },
  { 'nested.level': { $gte: 2 } },
  { 'nested.tag': { $in: ['odd', 'none'] } },
  { nested: { level: 1, tag: 'odd' } },
  { 'a\\.b': 1 },
  { 'a\\.b': { $ne: 1 } },
  { $or: [{ color: 'blue' }, { 'nested.level': { $gte: 2 } }] },
  { $and: [{ $or: [{ color: 'red' }, { color: 'Red' }] }, { price: { $lt: 50 } }] },
  { $or: [{ $and: [{ flag: true }, { score: { $gt: 1 } }] }, { $and: [{ flag: null }] }] },
  { tags: ['x', 'y'] },
  { 'tags.1': 'y' },
  { flag: null },
  { flag: { $ne: null } },
  { flag: true },
  { "we'ird; --key": 2 },
  { color: { $in: [] } },
  { name: { $gt: 'n3' } },
  { name: { $gte: 'n10', $lte: 'n19' } },
  { score: { $gte: 0.5, $lt: 1.75 } },
  { missing: { $ne: 'anything' } },
  { missing: 'anything' },
  { color: 'red', price: { $gt: 30 } },
];

export function filterTests(ctx: SuiteContext): void {
  describe('metadata filters against a JavaScript evaluation', () => {
    const rand = seeded(11);
    const docs = Array.from({ length: DOCS }, (_, i) => ({ id: `f${String(i).padStart(3, '0')}`, metadata: metadataFor(i, rand), vector: Float32Array.of(rand(), rand(), rand(), rand()) }));
    let name = '';

    beforeAll(async () => {
      name = ctx.name('filters');
      await ctx.t.store.createCollection({ name, dimensions: 4 });
      await ctx.t.store.upsert(name, docs.map((d) => ({ id: d.id, text: `common words ${d.id}`, metadata: d.metadata, chunks: [{ text: `common words ${d.id}`, embedding: d.vector }] })));
    });

    it('selects the same documents in the vector leg (exact) and the lexical leg', async () => {
      for (const filter of FILTERS) {
        const expected = docs.filter((d) => matches(filter, d.metadata)).map((d) => d.id).sort();
        const vector = await ctx.t.store.vectorSearch(name, Float32Array.of(1, 1, 1, 1), 1000, { exact: true, filter });
        expect(vector.map((h) => h.id).sort(), JSON.stringify(filter)).toEqual(expected);
        const lexical = await ctx.t.store.lexicalSearch(name, 'common', 1000, { filter });
        expect(lexical.map((h) => h.id).sort(), JSON.stringify(filter)).toEqual(expected);
      }
    });

    it('fills k through the HNSW index when enough documents match', async () => {
      for (const filter of [{ color: 'red' }, { price: { $gte: 20 } }, { flag: { $ne: null } }]) {
        const expected = docs.filter((d) => matches(filter, d.metadata)).length;
        const hits = await ctx.t.store.vectorSearch(name, Float32Array.of(1, 0, 0, 0), 20, { filter });
        expect(hits, JSON.stringify(filter)).toHaveLength(Math.min(20, expected));
        expect(hits.every((h) => matches(filter, h.metadata))).toBe(true);
      }
    });

    it('rejects a malformed filter with INVALID_FILTER naming its path', async () => {
      const cases: [unknown, string][] = [
        [{ $and: [{ a: 1 }, { price: { $foo: 1 } }] }, 'filter.$and[1].price: unknown operator $foo'],
        [{ $nor: [] }, 'filter: unknown operator $nor'],
        [{ price: { $in: 5 } }, 'filter.price.$in: must be an array'],
        [{ $and: [] }, 'filter.$and: must not be empty'],
        [{ $or: {} }, 'filter.$or: must be an array of filters'],
        [{ price: { $gt: 1, plain: 2 } }, 'filter.price: mixes operators ($gt) with plain keys'],
        [{ price: { $gt: [1] } }, 'filter.price.$gt: compares only with a number or a string'],
        [{ 'a..b': 1 }, 'filter["a..b"]: a field path has an empty step'],
        [[1, 2], 'filter: must be an object'],
        [{ $or: [{ $or: [{ $or: [{ $or: [{ $or: [{ $or: [{ $or: [{ $or: [{ a: 1 }] }] }] }] }] }] }] }] }, 'filters nest at most 8 levels deep'],
        [{ $or: Array.from({ length: 101 }, (_, i) => ({ [`k${i}`]: i })) }, 'at most 100 conditions'],
        [{ color: 'a\u0000b' }, 'filter.color: strings cannot contain NUL'],
      ];
      for (const [filter, message] of cases) {
        const err = await ctx.t.store.vectorSearch(name, Float32Array.of(1, 0, 0, 0), 5, { filter: filter as Record<string, unknown> }).catch((e: unknown) => e);
        expect(err, JSON.stringify(filter)).toBeInstanceOf(InvalidArgumentError);
        expect(err).toMatchObject({ code: 'INVALID_FILTER', statusCode: 422 });
        expect((err as Error).message).toContain(message);
        await expect(ctx.t.store.lexicalSearch(name, 'common', 5, { filter: filter as Record<string, unknown> })).rejects.toMatchObject({ code: 'INVALID_FILTER' });
      }
    });
  });
}
