import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as FilterSql from '../../src/store/sql/filter-sql.js';
import { compileFilter } from '../../src/store/sql/filter-sql.js';
import { corpus, POSTGRES_HINT, postgresProblem, searchApp, type SearchApp } from '../support/search-app.js';

// The seam that counts compilations: every statement's filter SQL comes from this one function.
vi.mock('../../src/store/sql/filter-sql.js', async (original) => {
  const real = await original<typeof FilterSql>();
  return { ...real, compileFilter: vi.fn(real.compileFilter) };
});

const postgres = await postgresProblem();

/**
 * Regression for the review that found a hybrid /search reading its collection's registry row three
 * times and compiling its filter five times (once per leg to check it, once per leg to run it, once
 * in the route). Both stores reach their database through pg, so every statement passes
 * pg.Client#query, where the registry reads are counted.
 */
for (const backend of ['pglite', 'postgres'] as const) {
  const skip = backend === 'postgres' && postgres !== undefined;
  describe.skipIf(skip)(`a hybrid /search on ${backend}${skip ? ` (${POSTGRES_HINT})` : ''}`, () => {
    let t: SearchApp;
    const name = `once-${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      t = await searchApp(backend);
      expect((await t.put(`/collections/${name}`)).status).toBe(200);
      expect((await t.post(`/collections/${name}/documents`, { documents: corpus(60) })).status).toBe(200);
    });
    afterAll(async () => {
      await t?.app.inject({ method: 'DELETE', url: `/collections/${name}` });
      await t?.close();
    });

    it('reads the collection once and compiles its filter once, and both legs run under it', async () => {
      const realQuery = pg.Client.prototype.query;
      const statements: string[] = [];
      const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
        const text: unknown = args[0];
        statements.push(typeof text === 'string' ? text : String((text as { text?: unknown } | null)?.text ?? ''));
        return Reflect.apply(realQuery, this, args) as unknown;
      });
      const compile = vi.mocked(compileFilter);
      compile.mockClear();
      let res;
      try {
        res = await t.post('/search', { collection: name, query: 'capital of france', mode: 'hybrid', rerank: false, candidates: 20, top_n: 20, filter: { group: 2, price: { $gte: 10 } } });
      } finally {
        spy.mockRestore();
      }

      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const results = res.body.results as { scores: Record<string, number> }[];
      expect(results.some((r) => r.scores['vector'] !== undefined) && results.some((r) => r.scores['lexical'] !== undefined)).toBe(true);
      expect(statements.filter((s) => s.includes('FROM "rr_collections"'))).toHaveLength(1);
      expect(compile).toHaveBeenCalledTimes(1);
      // Both legs ran the one compiled filter: the vector leg (<=>) and the lexical leg (BM25's one round, tsv @@).
      const filterSql = (compile.mock.results[0]?.value as { sql: string }).sql;
      const legs = statements.filter((s) => s.includes(filterSql));
      expect(legs.filter((s) => s.includes('<=>'))).toHaveLength(1);
      expect(legs.filter((s) => s.includes('t.tsv @@'))).toHaveLength(1);
    });
  });
}
