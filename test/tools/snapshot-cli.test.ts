import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackServer } from '../helpers/loopback-server.js';
import { corpus, POSTGRES_HINT, postgresProblem, searchApp, STORE_TEST_URL, type SearchApp } from '../support/search-app.js';
import { forgedEmbedder } from '../support/test-app.js';
import { adminSql, runSuffix } from '../store/store-fixtures.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const postgres = await postgresProblem();

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

/** Snapshot lines with the first one's collection name and creation time taken out (an import makes its own). */
function comparable(text: string): string[] {
  const lines = text.trimEnd().split('\n');
  const header = JSON.parse(lines[0] as string) as { collection: { name?: string; created_at?: string } };
  delete header.collection.name;
  delete header.collection.created_at;
  return [JSON.stringify(header), ...lines.slice(1)];
}

describe('GET /collections/{name}/export and POST /collections/{name}/import', () => {
  let t: SearchApp;
  const docs = corpus(60);
  beforeAll(async () => {
    t = await searchApp('pglite');
    expect((await t.put('/collections/src')).status).toBe(200);
    expect((await t.post('/collections/src/documents', { documents: docs })).status).toBe(200);
  });
  afterAll(async () => t?.close());

  const ndjson = (url: string, body: string) => t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-ndjson' }, payload: body });

  it('streams the collection out and reads it into another with the same documents and answers', async () => {
    const out = await t.app.inject({ method: 'GET', url: '/collections/src/export' });
    expect(out.statusCode).toBe(200);
    expect(out.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = out.body.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; documents?: number });
    expect(lines.map((l) => l.type)).toEqual(['collection', ...docs.map(() => 'document'), 'end']);
    expect(lines.at(-1)?.documents).toBe(60);

    const imported = await ndjson('/collections/dst/import', out.body);
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json()).toEqual({ collection: 'dst', documents: 60 });
    const again = await t.app.inject({ method: 'GET', url: '/collections/dst/export' });
    expect(comparable(again.body)).toEqual(comparable(out.body));

    const search = async (collection: string) => (await t.post('/search', { collection, query: 'the capital of france and its museum', candidates: 30, top_n: 10 })).body.results as unknown[];
    expect(await search('dst')).toEqual(await search('src'));
  });

  it('refuses a collection that holds documents, a truncated snapshot and a file that is not one, with stable codes', async () => {
    const out = (await t.app.inject({ method: 'GET', url: '/collections/src/export' })).body;
    const full = await ndjson('/collections/src/import', out);
    expect(full.statusCode).toBe(409);
    expect(full.json()).toMatchObject({ error: { code: 'COLLECTION_CONFLICT', message: expect.stringContaining('already holds documents') } });

    const truncated = out.trimEnd().split('\n').slice(0, -1).join('\n');
    const cut = await ndjson('/collections/cut/import', truncated);
    expect(cut.statusCode).toBe(422);
    expect(cut.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/truncated.*60 documents were imported/) } });

    const notOne = await ndjson('/collections/other/import', '{"id":"a","text":"b"}\n');
    expect(notOne.statusCode).toBe(422);
    expect(notOne.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('snapshot line 1') } });

    // Hostile snapshots: each refused with a 4xx and a stable code, each into a collection of its own.
    const header = out.split('\n')[0] as string;
    const doc = (over: Record<string, unknown>) => JSON.stringify({ type: 'document', id: 'h', text: 'x', metadata: {}, chunks: [{ text: 'x', embedding: (JSON.parse(out.split('\n')[1] as string) as { chunks: { embedding: number[] }[] }).chunks[0]?.embedding }], ...over });
    const hostile: [string, string][] = [
      ['an id that is not a string', doc({ id: 12.5 })],
      ['a NUL byte in the text', doc({ text: 'a\u0000b' })],
      ['a NUL byte in a metadata key', doc({ metadata: { 'k\u0000': 1 } })],
      ['an embedding of 100,000 numbers', doc({ chunks: [{ text: 'x', embedding: Array.from({ length: 100_000 }, () => 0.5) }] })],
      ['an embedding of strings', doc({ chunks: [{ text: 'x', embedding: ['a', 'b'] }] })],
      ['no chunks', doc({ chunks: 'none' })],
      ['SQL in an id', doc({ id: "x'); DROP TABLE rr_collections; --" })],
    ];
    for (const [i, [what, line]] of hostile.entries()) {
      const res = await ndjson(`/collections/hostile-${i}/import`, `${header}\n${line}\n{"type":"end","documents":1}\n`);
      if (what === 'SQL in an id') {
        expect(res.statusCode, `${what}: ${res.body}`).toBe(200);
        continue;
      }
      expect(res.statusCode, `${what}: ${res.body}`).toBe(422);
      expect(res.json(), what).toMatchObject({ error: { code: expect.stringMatching(/^(INVALID_ARGUMENT|DIMENSION_MISMATCH)$/), message: expect.any(String) } });
    }
    const badName = await ndjson("/collections/x';drop/import", out);
    expect(badName.statusCode).toBeGreaterThanOrEqual(400);
    expect(badName.statusCode).toBeLessThan(500);
    // The service is whole: a valid import right after works, and the SQL-looking id is just an id.
    const after = await ndjson('/collections/after-hostile/import', out);
    expect(after.statusCode, after.body).toBe(200);
    expect((await t.post('/collections/hostile-6/documents/get', { ids: ["x'); DROP TABLE rr_collections; --"] })).body.documents).toHaveLength(1);

    const missing = await t.app.inject({ method: 'GET', url: '/collections/nope/export' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'COLLECTION_NOT_FOUND' } });
  });
});

describe('`reranker export` and `reranker import`', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'snapshot-cli-'));
  });
  afterAll(async () => rm(work, { recursive: true, force: true }));

  it('export from a service (--url) to a gzip file, import it offline into the embedded store, export that again', async () => {
    const dataDir = join(work, 'served');
    const server = await loopbackServer({ embeddingModel: await forgedEmbedder(), dataDir, store: '' });
    let served: string;
    try {
      const { url } = server;
      expect((await fetch(`${url}/collections/live`, { method: 'PUT' })).status).toBe(200);
      const up = await fetch(`${url}/collections/live/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: corpus(40, 3) }) });
      expect(up.status).toBe(200);
      const exported = await cli(['export', '--collection', 'live', '--url', url, '--out', join(work, 'live.ndjson.gz')]);
      expect(exported.code, exported.stderr).toBe(0);
      served = (await (await fetch(`${url}/collections/live/export`)).text());
    } finally {
      await server.close();
    }
    expect(comparable(gunzipSync(await readFile(join(work, 'live.ndjson.gz'))).toString('utf8'))).toEqual(comparable(served));

    const offline = join(work, 'offline');
    const imported = await cli(['import', join(work, 'live.ndjson.gz'), '--data-dir', offline]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toBe('imported 40 documents into live\n');
    const back = await cli(['export', '--collection', 'live', '--data-dir', offline]);
    expect(back.code, back.stderr).toBe(0);
    expect(comparable(back.stdout)).toEqual(comparable(served));

    const twice = await cli(['import', join(work, 'live.ndjson.gz'), '--data-dir', offline]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already holds documents/);
  });

  it.skipIf(postgres !== undefined)(`imports into Postgres under another name and schema${postgres === undefined ? '' : ` (${POSTGRES_HINT})`}`, async () => {
    const schema = `snapcli_${runSuffix()}`;
    try {
      const offline = join(work, 'source');
      const t = await searchApp('pglite', { dataDir: offline });
      try {
        await t.put('/collections/pg');
        await t.post('/collections/pg/documents', { documents: corpus(25, 5) });
      } finally {
        await t.close();
      }
      const file = join(work, 'pg.ndjson');
      expect((await cli(['export', '--collection', 'pg', '--data-dir', offline, '--out', file])).code).toBe(0);
      const imported = await cli(['import', file, '--collection', 'copy', '--store', STORE_TEST_URL, '--store-schema', schema]);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toBe('imported 25 documents into copy\n');
      const back = await cli(['export', '--collection', 'copy', '--store', STORE_TEST_URL, '--store-schema', schema]);
      expect(comparable(back.stdout)).toEqual(comparable(await readFile(file, 'utf8')));
    } finally {
      await adminSql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });
});
