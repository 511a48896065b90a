import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidArgumentError, StoreTimeoutError, StoreUnavailableError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import { storeSuite } from './collection-suite.js';
import { freePort } from '../support/free-port.js';
import { adminSql, bruteForce, ENABLE_POSTGRES_HINT, expectSameRanking, postgresUnavailable, postgresUnderTest, randomUnitVector, runSuffix, seeded, STORE_TEST_URL, type StoreUnderTest } from './store-fixtures.js';

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) console.warn(`${ENABLE_POSTGRES_HINT} (${unavailable})`);

describe.skipIf(unavailable !== undefined)('Postgres with pgvector', () => {
  describe('collection suite', () => {
    storeSuite(() => postgresUnderTest());
  });

  describe('an attached table, read-only', () => {
    const suffix = runSuffix();
    const table = `rr_src_${suffix}`;
    const name = `attached-${suffix}`;
    const rand = seeded(3);
    const rows = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, body: `passage ${i} about ${['rivers', 'banks', 'loans', 'towers'][i % 4]}`, vec: randomUnitVector(rand, 8), meta: { part: i % 3 } }));
    let t: StoreUnderTest;
    const checksum = async (): Promise<{ n: number; md5: string }> => {
      const { rows: r } = await t.sql.query<{ n: number; md5: string }>(
        `SELECT count(*)::int AS n, md5(string_agg(d::text, '|' ORDER BY doc_id)) AS md5 FROM public.${pg.escapeIdentifier(table)} d`,
      );
      return r[0]!;
    };

    beforeAll(async () => {
      t = await postgresUnderTest();
      await t.sql.query(`CREATE TABLE public.${pg.escapeIdentifier(table)} (doc_id int PRIMARY KEY, body text, emb vector(8), meta jsonb)`);
      await t.sql.query(
        `INSERT INTO public.${pg.escapeIdentifier(table)} SELECT * FROM unnest($1::int[], $2::text[], $3::vector[], $4::jsonb[])`,
        [rows.map((r) => r.id), rows.map((r) => r.body), rows.map((r) => `[${Array.from(r.vec).join(',')}]`), rows.map((r) => JSON.stringify(r.meta))],
      );
    });
    afterAll(async () => {
      if ((t as StoreUnderTest | undefined) === undefined) return;
      await t.store.dropCollection(name).catch(() => undefined);
      await t.sql.query(`DROP TABLE IF EXISTS public.${pg.escapeIdentifier(table)}`);
      await t.close();
    });

    it('checks the table, columns and dimension when attaching', async () => {
      const source = { table: `public.${table}`, id_column: 'doc_id', text_column: 'body', vector_column: 'emb', metadata_column: 'meta' };
      const cases: [object, string, RegExp][] = [
        [{ table: `public.nope_${suffix}` }, 'INVALID_ARGUMENT', /no table or view "public.nope_/],
        [{ text_column: 'nope' }, 'INVALID_ARGUMENT', /has no column "nope"/],
        [{ vector_column: 'body' }, 'INVALID_ARGUMENT', /"body" is text, not vector/],
        [{ metadata_column: 'body' }, 'INVALID_ARGUMENT', /not json or jsonb/],
        [{ table: `public.${table}"; DROP TABLE x; --` }, 'INVALID_ARGUMENT', /no table or view/],
      ];
      for (const [bad, code, message] of cases) {
        const err = await t.store.createCollection({ name, dimensions: 8, source: { ...source, ...bad } }).catch((e: unknown) => e);
        expect(err, message.source).toBeInstanceOf(InvalidArgumentError);
        expect(err).toMatchObject({ code });
        expect((err as Error).message).toMatch(message);
      }
      await expect(t.store.createCollection({ name, dimensions: 16, source })).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH', statusCode: 422 });
      await expect(t.store.getCollection(name)).rejects.toMatchObject({ code: 'COLLECTION_NOT_FOUND' });
    });

    it('is searched where it is, refuses writes with READ_ONLY_COLLECTION, and is left unchanged', async () => {
      const before = await checksum();
      // Unqualified: found on the search_path, stored schema-qualified.
      const created = await t.store.createCollection({ name, dimensions: 8, source: { table, id_column: 'doc_id', text_column: 'body', vector_column: 'emb', metadata_column: 'meta' } });
      expect(created.source).toEqual({ table: `public.${table}`, id_column: 'doc_id', text_column: 'body', vector_column: 'emb', metadata_column: 'meta' });
      expect(await t.store.createCollection({ name, dimensions: 8, source: { table: `public.${table}`, id_column: 'doc_id', text_column: 'body', vector_column: 'emb', metadata_column: 'meta' } })).toEqual(created);
      expect(await t.store.count(name)).toBe(300);

      const q = randomUnitVector(rand, 8);
      const docs = rows.map((r) => ({ id: String(r.id), vectors: [r.vec] }));
      expect(expectSameRanking(await t.store.vectorSearch(name, q, 20, { exact: true }), bruteForce(q, docs, 20))).toEqual([]);
      const kept = rows.filter((r) => r.meta.part === 1).map((r) => ({ id: String(r.id), vectors: [r.vec] }));
      expect(expectSameRanking(await t.store.vectorSearch(name, q, 20, { exact: true, filter: { part: 1 } }), bruteForce(q, kept, 20))).toEqual([]);
      expect((await t.store.vectorSearch(name, q, 20)).length).toBe(20);
      const lexical = await t.store.lexicalSearch(name, 'Which banks give loans?', 500);
      expect(lexical).toHaveLength(150);
      expect(lexical.every((h) => /banks|loans/.test(h.text))).toBe(true);
      expect(await t.store.getDocument(name, '7')).toEqual({ id: '7', text: rows[6]!.body, metadata: rows[6]!.meta });
      expect(await t.store.getDocument(name, 'not-a-number')).toBeUndefined();

      const write = [
        () => t.store.upsert(name, [{ id: '1', text: 'x', chunks: [{ text: 'x', embedding: q }] }]),
        () => t.store.deleteDocuments(name, ['1', '2']),
      ];
      for (const call of write) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConflictError);
        expect(err).toMatchObject({ code: 'READ_ONLY_COLLECTION', statusCode: 409 });
      }
      expect(await t.store.buildIndex(name)).toBe(false);
      // Dropping the collection forgets the table; it never drops it.
      await t.store.dropCollection(name);
      expect(await checksum()).toEqual(before);
    });
  });

  describe('failures', () => {
    let t: StoreUnderTest;
    const suffix = runSuffix();
    const name = `slow-${suffix}`;
    const view = `rr_slow_${suffix}`;
    // A database of its own: the slow collection below would otherwise show up in other test files'
    // GET /collections on the shared one (each listing counts every collection's documents, 3 s here),
    // and their count queries in this describe's pg_stat_activity checks.
    const database = `rr_failures_${suffix}`;
    const admin = adminSql;
    beforeAll(async () => {
      await admin(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
      const url = new URL(STORE_TEST_URL);
      url.pathname = `/${database}`;
      t = await postgresUnderTest({ timeoutMs: 500, url: url.toString() });
      // pg_sleep behind an attached view: a slow query the store's own API runs.
      await t.sql.query(`CREATE VIEW ${pg.escapeIdentifier(view)} AS SELECT 'a'::text AS id, 'alpha'::text AS body, '[1,0]'::vector(2) AS emb FROM pg_sleep(3)`);
      await t.store.createCollection({ name, dimensions: 2, source: { table: view, id_column: 'id', text_column: 'body', vector_column: 'emb' } });
    });
    afterAll(async () => {
      if ((t as StoreUnderTest | undefined) !== undefined) await t.close();
      // The view and the collection go with their database.
      await admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    });

    const running = async (): Promise<number> => {
      const { rows } = await t.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'reranker' AND state = 'active' AND query LIKE '%rr_slow_%'`);
      return rows[0]!.n;
    };

    it('cancels a query past the timeout on the server (statement_timeout) and answers StoreTimeoutError', async () => {
      const started = performance.now();
      const err = await t.store.count(name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreTimeoutError);
      expect(err).toMatchObject({ code: 'STORE_TIMEOUT', statusCode: 504 });
      expect(performance.now() - started).toBeLessThan(1500);
      expect(await running()).toBe(0);
    });

    it('cancels the running query when the caller aborts, and the pool keeps working', async () => {
      const controller = new AbortController();
      const reason = new Error('client went away');
      setTimeout(() => controller.abort(reason), 150);
      const started = performance.now();
      await expect(t.store.lexicalSearch(name, 'alpha', 5, { signal: controller.signal })).rejects.toBe(reason);
      expect(performance.now() - started).toBeLessThan(400);
      // pg_cancel_backend reaches the statement within moments; it does not run on for 3 s.
      await new Promise((r) => setTimeout(r, 300));
      expect(await running()).toBe(0);
      for (let i = 0; i < 6; i++) expect((await t.store.getCollection(name)).name).toBe(name);
    });

    it('answers StoreUnavailableError when the connection is terminated mid-query', async () => {
      const call = t.store.count(name).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 150));
      await t.sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'reranker' AND query LIKE '%rr_slow_%'`);
      const err = await call;
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', statusCode: 503, retryAfter: 1 });
      expect((await t.store.getCollection(name)).name).toBe(name);
    });

    it('opens against a closed port and answers StoreUnavailableError (503, Retry-After) on each call', async () => {
      const port = await freePort();
      const store = await openStore({ url: `postgres://postgres:secret@127.0.0.1:${port}/test`, dataDir: 'unused', timeoutMs: 1000, poolSize: 2, schema: 'reranker' });
      try {
        for (const call of [() => store!.listCollections(), () => store!.vectorSearch('x', Float32Array.of(1), 1), () => store!.ping()]) {
          const err = await call().catch((e: unknown) => e);
          expect(err).toBeInstanceOf(StoreUnavailableError);
          expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', retryAfter: 1 });
          expect((err as Error).message).toContain(`postgres://127.0.0.1:${port}/test`);
          expect((err as Error).message).not.toContain('secret');
        }
      } finally {
        await store!.close();
      }
    });

    it('names the fix when the vector extension is missing and cannot be created', async () => {
      const role = `rr_nosuper_${suffix}`;
      const db = `rr_novector_${suffix}`;
      await t.sql.query(`CREATE ROLE ${role} LOGIN`);
      await t.sql.query(`CREATE DATABASE ${db} OWNER ${role}`);
      try {
        const url = new URL(STORE_TEST_URL);
        url.username = role;
        url.pathname = `/${db}`;
        const err = await openStore({ url: url.toString(), dataDir: 'unused', timeoutMs: 5000, poolSize: 1, schema: 'reranker' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreUnavailableError);
        expect((err as Error).message).toMatch(new RegExp(`not created in database "${db}", and user "${role}" may not create it .*Fix: run CREATE EXTENSION vector; in database "${db}" as a superuser`));
      } finally {
        await t.sql.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await t.sql.query(`DROP ROLE IF EXISTS ${role}`);
      }
    });
  });
});
