import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql, privateDatabase, runSuffix, seeded } from '../store/store-fixtures.js';
import { POSTGRES_HINT, postgresProblem, searchApp, STORE_TEST_URL, type SearchApp } from '../support/search-app.js';
import { mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

/*
 * A full disk under each store, for real (issue 23): a small tmpfs holds the embedded store's data
 * directory, or the tablespace of a private Postgres database. Writes that do not fit answer 507
 * STORE_FULL, reads keep working, nothing acknowledged is lost, and writes resume once space is freed.
 */

const postgres = await postgresProblem();
const rand = seeded(23);
const WORDS = Array.from({ length: 4000 }, (_, i) => `w${i.toString(36)}${Math.floor(rand() * 1e6).toString(36)}`);

/** Documents of ~8 KB of words that neither compress nor share lexemes much, with ready vectors. */
function documents(from: number, count: number, dims: number): { id: string; text: string; vector: number[] }[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `d${from + i}`,
    text: Array.from({ length: 900 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' '),
    vector: Array.from({ length: dims }, () => rand() - 0.5),
  }));
}

/** The Postgres server's own uid when it runs on this machine (a tablespace must be its directory), else why not. */
function localPostgresUid(dataDirectory: string): number | string {
  if (!existsSync(dataDirectory)) return `the server at ${STORE_TEST_URL} keeps its files elsewhere (${dataDirectory} is not on this machine)`;
  try {
    return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return 'no postgres user on this machine';
  }
}

async function serverDataDirectory(): Promise<string> {
  const c = new pg.Client(STORE_TEST_URL);
  await c.connect();
  try {
    return String((await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]?.data_directory);
  } finally {
    await c.end();
  }
}

interface Setup {
  app: SearchApp;
  disk: Tmpfs;
  /** Starts the app again on the same store (a restart after the disk filled). */
  reopen(): Promise<SearchApp>;
  cleanup(): Promise<void>;
}

async function pgliteOnTmpfs(): Promise<Setup | string> {
  // PGlite's fresh data directory takes ~39 MB.
  const disk = mountTmpfs(64);
  if (typeof disk === 'string') return disk;
  const settings = { dataDir: `${disk.dir}/data` };
  return { app: await searchApp('pglite', settings), disk, reopen: () => searchApp('pglite', settings), cleanup: async () => disk.unmount() };
}

async function postgresOnTmpfs(): Promise<Setup | string> {
  if (postgres !== undefined) return POSTGRES_HINT;
  const uid = localPostgresUid(await serverDataDirectory());
  if (typeof uid === 'string') return uid;
  // A fresh database copies template1 (~7.5 MB) into its tablespace.
  const disk = mountTmpfs(24, uid);
  if (typeof disk === 'string') return disk;
  const name = `rr_full_${runSuffix()}`;
  await adminSql(`CREATE TABLESPACE ${name} LOCATION '${disk.dir}'`);
  const db = await privateDatabase(name, name);
  const settings = { store: db.url };
  return {
    app: await searchApp('postgres', settings),
    disk,
    reopen: () => searchApp('postgres', settings),
    cleanup: async () => {
      await db.drop();
      await adminSql(`DROP TABLESPACE IF EXISTS ${name}`);
      disk.unmount();
    },
  };
}

for (const [backend, open] of [['pglite', pgliteOnTmpfs], ['postgres', postgresOnTmpfs]] as const) {
  describe(`a full disk under ${backend}`, () => {
    let setup: Setup | string;
    beforeAll(async () => {
      setup = await open();
      if (typeof setup === 'string') console.warn(`full-disk test on ${backend} skipped: ${setup}`);
    });
    afterAll(async () => {
      if (typeof setup === 'string') return;
      await setup.app.close();
      await setup.cleanup();
    });

    it('answers 507 STORE_FULL, keeps reads, loses nothing acknowledged and writes again once space is freed', async (ctx) => {
      if (typeof setup === 'string') return ctx.skip();
      const { app, disk } = setup;
      const created = await app.put('/collections/full');
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const dims = created.body.dimensions as number;
      let acknowledged = 0;
      const first = await app.post('/collections/full/documents', { documents: documents(0, 20, dims) });
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      acknowledged += 20;

      const filler = disk.fill(1_500_000);
      let refused: { status: number; body: { error: { code: string; message: string } } } | undefined;
      for (let round = 0; round < 60 && refused === undefined; round++) {
        const res = await app.post('/collections/full/documents', { documents: documents(acknowledged, 20, dims) });
        if (res.status === 200) acknowledged += 20;
        else refused = res;
      }
      expect(refused, 'the disk never filled').toBeDefined();
      expect(refused?.status, JSON.stringify(refused?.body)).toBe(507);
      expect(refused?.body.error.code).toBe('STORE_FULL');
      expect(refused?.body.error.message).toMatch(/out of disk space.*No space left on device.*Free space/s);
      const metrics = await app.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/reranker_store_errors_total\{code="STORE_FULL"\} [1-9]/);

      // Reads keep working, and every acknowledged document is there.
      expect((await app.post('/collections/full/count', undefined)).body).toMatchObject({ count: acknowledged });
      const search = await app.post('/search', { collection: 'full', query: 'w1', rerank: false, top_n: 3 });
      expect(search.status, JSON.stringify(search.body)).toBe(200);
      const last = await app.post('/collections/full/documents/get', { ids: [`d${acknowledged - 1}`] });
      expect(last.body.documents).toHaveLength(1);

      rmSync(filler);
      const again = await app.post('/collections/full/documents', { documents: documents(acknowledged, 20, dims) });
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      acknowledged += 20;

      // And after a restart on the same files.
      await app.close();
      setup.app = await setup.reopen();
      expect((await setup.app.post('/collections/full/count', undefined)).body).toMatchObject({ count: acknowledged });
    });
  });
}
