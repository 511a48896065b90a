import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgedModel } from '../../support/forged-model.js';
import { freePort } from '../../support/free-port.js';
import { forgedEmbedder } from '../../support/test-app.js';
import { CLI, serveCli, type ServedCli } from '../../support/serve-cli.js';


let work: string;
let reranker: string;
let embedder: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ingest-cli-'));
  reranker = await forgedModel();
  embedder = await forgedEmbedder();
});
afterAll(async () => rm(work, { recursive: true, force: true }));

/** `reranker serve` as an operator runs it, on the embedded store in `dataDir`. */
function serve(dataDir: string, env: Record<string, string> = {}): Promise<ServedCli> {
  return serveCli(['--model', reranker, '--embedding-model', embedder, '--data-dir', dataDir, '--workers', '1', '--log-level', 'warn'], env);
}

function ingest(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'ingest', ...args, '--no-progress'], { timeout: 120_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as loose as fetch's own res.json(); the assertions check the shape
const json = async (res: Response): Promise<any> => res.json();

describe('issue 9 from the outside: serve, create, upsert over HTTP and with `reranker ingest`, restart', () => {
  it('keeps every document across a restart, and a re-run of ingest replaces rather than duplicates', async () => {
    const dataDir = join(work, 'data');
    const file = join(work, 'docs.jsonl');
    await writeFile(file, `${[
      { id: 'a', text: 'Paris is the capital of France.', lang: 'en' },
      { id: 'b', text: 'Bananas are yellow.', lang: 'en', price: 3 },
      { id: 'c', text: 'Berlin ist die Hauptstadt Deutschlands.', lang: 'de' },
    ]
      .map((d) => JSON.stringify(d))
      .join('\n')}\n`);
    let server = await serve(dataDir);
    try {
      expect((await fetch(`${server.url}/collections/docs`, { method: 'PUT' })).status).toBe(200);
      const posted = await fetch(`${server.url}/collections/docs/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: [{ id: 'http-1', text: 'sent over HTTP', metadata: { via: 'http' } }] }) });
      expect(await json(posted)).toMatchObject({ upserted: 1 });
      const first = await ingest([file, '--collection', 'docs', '--url', server.url]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^ingested 3 documents into docs/);
      const again = await ingest([file, '--collection', 'docs', '--url', server.url]);
      expect(again.code, again.stderr).toBe(0);
      expect(await json(await fetch(`${server.url}/collections/docs`))).toMatchObject({ documents: 4 });
      expect(await json(await fetch(`${server.url}/collections/docs/documents/b`))).toEqual({ id: 'b', text: 'Bananas are yellow.', metadata: { lang: 'en', price: 3 } });
    } finally {
      expect(await server.stop()).toBe(0);
    }

    server = await serve(dataDir);
    try {
      expect(await json(await fetch(`${server.url}/collections/docs`))).toMatchObject({ documents: 4 });
      expect(await json(await fetch(`${server.url}/collections/docs/documents/http-1`))).toEqual({ id: 'http-1', text: 'sent over HTTP', metadata: { via: 'http' } });
      const search = await fetch(`${server.url}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ collection: 'docs', query: 'capital of france', top_n: 1, mode: 'lexical', rerank: false }) });
      // The forged models' scores mean nothing; the full-text leg does: only "a" has both words.
      expect((await json(search)).results[0].id).toBe('a');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  // Issue 11: a service with keys takes the bulk load from a client that has the admin key (ADMIN_API_KEY, as the service reads it).
  it('sends the admin key to a service that needs one', async () => {
    const file = join(work, 'keyed.jsonl');
    await writeFile(file, `${JSON.stringify({ id: 'k', text: 'Paris is the capital of France.' })}\n`);
    const keys = { API_KEY: 'ingest-read-key', ADMIN_API_KEY: 'ingest-admin-key' };
    const server = await serve(join(work, 'keyed'), keys);
    try {
      const refused = await ingest([file, '--collection', 'keyed', '--url', server.url], { API_KEY: keys.API_KEY });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/answered 403/);
      expect(refused.stderr).not.toContain(keys.API_KEY);
      const run = await ingest([file, '--collection', 'keyed', '--url', server.url], keys);
      expect(run.code, run.stderr).toBe(0);
      const read = await fetch(`${server.url}/collections/keyed`, { headers: { authorization: `Bearer ${keys.API_KEY}` } });
      expect(await json(read)).toMatchObject({ documents: 1 });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('ingests a CSV straight into the store when no service holds it, and says which record is wrong', async () => {
    const dataDir = join(work, 'direct');
    const file = join(work, 'docs.csv');
    await writeFile(file, 'doc_id,body,category\n1,"A text, with a comma",x\n2,"Two\nlines",y\n');
    const settings = ['--embedding-model', embedder, '--data-dir', dataDir, '--workers', '1'];
    const run = await ingest([file, '--collection', 'csv', '--id-field', 'doc_id', '--text-field', 'body', ...settings]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ingested 2 documents into csv/);
    const server = await serve(dataDir);
    try {
      expect(await json(await fetch(`${server.url}/collections/csv/documents/2`))).toEqual({ id: '2', text: 'Two\nlines', metadata: { category: 'y' } });
    } finally {
      await server.stop();
    }
    const bad = join(work, 'bad.jsonl');
    await writeFile(bad, '{"id": "1", "text": "fine"}\n{"text": "no id"}\n');
    const refused = await ingest([bad, '--collection', 'csv', ...settings]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/record 2: no "id" field \(pass --id-field\)/);
  });

  // Issue 24: what a newcomer hit.
  it('a dead --url is one line naming the URL and the cause, and exit 1', async () => {
    const file = join(work, 'one.jsonl');
    await writeFile(file, `${JSON.stringify({ id: 'a', text: 'x' })}\n`);
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await ingest([file, '--collection', 'docs', '--url', url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`reranker: cannot reach the service at ${url} (ECONNREFUSED); is it running, and is --url right?\n`);
  });

  it('a file that fails on its first record leaves no collection behind, through a service or straight into the store', async () => {
    const file = join(work, 'no-ids.csv');
    await writeFile(file, 'name,text\nfirst,"A text"\n');
    const dataDir = join(work, 'failed');
    const direct = await ingest([file, '--collection', 'failed', '--embedding-model', embedder, '--data-dir', dataDir, '--workers', '1']);
    expect(direct.code).toBe(1);
    expect(direct.stderr).toMatch(/record 1: no "id" field \(pass --id-field\)/);
    const server = await serve(dataDir);
    try {
      expect((await fetch(`${server.url}/collections/failed`)).status).toBe(404);
      const viaService = await ingest([file, '--collection', 'failed', '--url', server.url]);
      expect(viaService.code).toBe(1);
      expect((await fetch(`${server.url}/collections/failed`)).status).toBe(404);
      // An empty file still creates the collection it names, as a run that succeeds always has.
      const empty = join(work, 'empty.jsonl');
      await writeFile(empty, '');
      expect((await ingest([empty, '--collection', 'empty', '--url', server.url])).code).toBe(0);
      expect(await json(await fetch(`${server.url}/collections/empty`))).toMatchObject({ documents: 0 });
    } finally {
      await server.stop();
    }
  });
});
