import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchHit } from '../../src/store/document-store.js';
import { Bm25Replicas, type RunWork } from '../../src/store/sql/bm25-replica.js';
import { relationOf } from '../../src/store/sql/relation.js';
import { collectionTableName } from '../../src/store/sql/table-names.js';
import { bm25Reference, type ReferenceHit } from './bm25-reference.js';
import { ENABLE_POSTGRES_HINT, postgresUnavailable, postgresUnderTest, runSuffix, seeded, STORE_TEST_URL, type StoreUnderTest } from './store-fixtures.js';

/**
 * Issue 22: each process ranks BM25 from postings of its own, which follow the table's change log.
 * Two stores on one Postgres schema stand for two replicas: what one writes, the other's next
 * search ranks exactly (against the full-scan reference), through text changes, deletes, and a
 * collection dropped and made again; a filtered search goes to SQL; a process whose postings are
 * building, or far behind the log, answers from SQL meanwhile and from memory after.
 */
const unavailable = await postgresUnavailable();
if (unavailable !== undefined) console.warn(`${ENABLE_POSTGRES_HINT} (${unavailable})`);

const WORDS = ['harbor', 'lantern', 'meadow', 'quarry', 'saddle', 'thistle', 'walnut', 'yarrow', 'basalt', 'cobalt', 'dune', 'fennel'];

function textOf(rand: () => number, n: number): string {
  return Array.from({ length: n }, () => WORDS[Math.min(WORDS.length - 1, Math.floor(WORDS.length * rand() ** 2))]).join(' ');
}

function expectSame(got: readonly SearchHit[], want: readonly ReferenceHit[], label: string): void {
  expect(got.map((h) => h.id), label).toEqual(want.map((h) => h.id));
  got.forEach((h, i) => expect(Math.abs(h.score - (want[i] as ReferenceHit).score), label).toBeLessThan(1e-6));
}

describe.skipIf(unavailable !== undefined)('BM25 postings in each process, following the change log', () => {
  const suffix = runSuffix();
  const schema = `rr_replica_${suffix}`;
  const name = 'replicated';
  const rand = seeded(5);
  const docs = new Map<string, string>();
  let a: StoreUnderTest;
  let b: StoreUnderTest;
  const queries = ['harbor lantern', 'fennel', 'dune cobalt basalt yarrow', 'meadow harbor quarry walnut'];
  const upsert = (entries: [string, string][]) => a.store.upsert(name, entries.map(([id, text]) => ({ id, text, metadata: { n: Number(id.slice(1)) }, chunks: [{ text, embedding: Float32Array.of(1, 0) }] })));

  /** Every query through `b`, ranked from its postings (not SQL), equals the reference over `docs`. */
  const checkB = async (label: string): Promise<void> => {
    for (const q of queries) {
      let via = '';
      const got = await b.store.lexicalSearch(name, q, 15, { scored: (_, where) => (via = where) });
      expect(via, `${label}: ${q}`).toBe('memory');
      expectSame(got, (await bm25Reference(b.sql, [...docs].map(([id, text]) => ({ id, text })), q, 15)).hits, `${label}: ${q}`);
    }
  };

  beforeAll(async () => {
    a = await postgresUnderTest({ schema });
    b = await postgresUnderTest({ schema });
    await a.store.createCollection({ name, dimensions: 2 });
    for (let i = 0; i < 400; i++) docs.set(`d${i}`, textOf(rand, 2 + Math.floor(rand() * 25)));
    await upsert([...docs]);
  });

  afterAll(async () => {
    await a?.sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await a?.store.close();
    await b?.store.close();
  });

  it("ranks another replica's writes exactly on its next search: loads, text changes, deletes", async () => {
    await checkB('after the load');
    const changed = [...docs.keys()].filter((_, i) => i % 5 === 0);
    for (const id of changed) docs.set(id, textOf(rand, 3 + Math.floor(rand() * 10)));
    await upsert(changed.map((id) => [id, docs.get(id) as string]));
    const gone = [...docs.keys()].filter((_, i) => i % 9 === 4);
    await a.store.deleteDocuments(name, gone);
    for (const id of gone) docs.delete(id);
    expect(await a.store.deleteMatching(name, { n: { $gte: 390 } })).toBeGreaterThan(0);
    for (const id of [...docs.keys()]) if (Number(id.slice(1)) >= 390) docs.delete(id);
    await checkB('after changes through the other replica');
  });

  it('builds again for a collection dropped and made again under its name, and leaves filtered searches to SQL', async () => {
    await a.store.dropCollection(name);
    await a.store.createCollection({ name, dimensions: 2 });
    docs.clear();
    for (let i = 0; i < 120; i++) docs.set(`e${i}`, textOf(rand, 4 + Math.floor(rand() * 12)));
    await upsert([...docs]);
    await checkB('after the collection was made again');
    // A process started with --lexical-index sql ranks in the database, the same top k.
    const sqlOnly = await postgresUnderTest({ schema, lexicalIndex: 'sql' });
    try {
      let where = '';
      const got = await sqlOnly.store.lexicalSearch(name, queries[2] as string, 15, { scored: (_, w) => (where = w) });
      expect(where).toBe('sql');
      expectSame(got, (await bm25Reference(b.sql, [...docs].map(([id, text]) => ({ id, text })), queries[2] as string, 15)).hits, '--lexical-index sql');
    } finally {
      await sqlOnly.store.close();
    }
    let via = '';
    const filtered = await b.store.lexicalSearch(name, 'harbor', 10, { filter: { n: { $lt: 60 } }, scored: (_, where) => (via = where) });
    expect(via).toBe('sql');
    expect(filtered.every((h) => Number(h.id.slice(1)) < 60)).toBe(true);
  });

  it('answers from SQL while its postings build or catch up in the background, then from memory', async () => {
    const pool = new pg.Pool({ connectionString: STORE_TEST_URL, max: 3, options: `-c search_path=${schema},public` });
    const run: RunWork = async (work) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const out = await work(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      } finally {
        c.release();
      }
    };
    try {
      // No table is small enough to build inside a search.
      const replicas = new Bm25Replicas(run, undefined, 0);
      const table = collectionTableName(name);
      const collection = await a.store.getCollection(name);
      const rel = relationOf({ collection, table });
      const search = (q: string) => run((c) => replicas.search(c, rel, table, 'english', q, 10, { k1: 1.2, b: 0.75 }));
      expect(await search('harbor')).toBeUndefined();
      await replicas.idle(table);
      const want = async (q: string) => (await bm25Reference(a.sql, [...docs].map(([id, text]) => ({ id, text })), q, 10)).hits;
      expectSame((await search('harbor'))?.hits ?? [], await want('harbor'), 'built in the background');
      // More changes than a search applies itself (500): caught up in the background meanwhile.
      const many: [string, string][] = Array.from({ length: 5_200 }, (_, i) => [`m${i}`, textOf(rand, 3)]);
      for (const [id, text] of many) docs.set(id, text);
      await upsert(many);
      expect(await search('lantern')).toBeUndefined();
      await replicas.idle(table);
      expectSame((await search('lantern'))?.hits ?? [], await want('lantern'), 'caught up in the background');
    } finally {
      await pool.end();
    }
  });
});
