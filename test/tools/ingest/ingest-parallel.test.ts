import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointPath } from '../../../src/tools/ingest/ingest-checkpoint.js';
import { adminSql, ENABLE_POSTGRES_HINT, postgresUnavailable, runSuffix, STORE_TEST_URL } from '../../store/store-fixtures.js';
import { forgedModel } from '../../support/forged-model.js';
import { forgedEmbedder } from '../../support/test-app.js';
import { CLI, serveCli, type ServedCli } from '../../support/serve-cli.js';

/**
 * Issue 22, item 5: `reranker ingest` with ready vectors (--vector-field), several batches in
 * flight (--concurrency) over two replicas sharing one Postgres (--url a,b), killed halfway and
 * resumed (--resume): the collection ends with exactly the input's documents.
 */
const unavailable = await postgresUnavailable();
if (unavailable !== undefined) console.warn(`${ENABLE_POSTGRES_HINT} (${unavailable})`);

const DOCS = 3000;
const DIM = 8;
const schema = `ingest_${runSuffix().replace(/-/g, '_')}`;
let work: string;
let reranker: string;
let embedder: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ingest-par-'));
  reranker = await forgedModel();
  embedder = await forgedEmbedder();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  if (unavailable === undefined) await adminSql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

/** One replica: `reranker serve` on the shared Postgres and schema. */
function replica(): Promise<ServedCli> {
  return serveCli(['--model', reranker, '--embedding-model', embedder, '--store', STORE_TEST_URL, '--store-schema', schema, '--workers', '1', '--log-level', 'warn']);
}

function ingest(args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; kill(): void } {
  const child = spawn(process.execPath, [CLI, 'ingest', ...args, '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { done, kill: () => child.kill('SIGKILL') };
}

describe.skipIf(unavailable !== undefined)('parallel ingest with ready vectors over two replicas, resumed after a kill', () => {
  it('ends with exactly the input documents, their texts, metadata and vectors', async () => {
    const file = join(work, 'docs.jsonl');
    const input = Array.from({ length: DOCS }, (_, i) => ({
      id: `doc-${i}`,
      text: `document ${i} about ${['rivers', 'banks', 'bridges', 'towers'][i % 4]}`,
      group: i % 7,
      vec: Array.from({ length: DIM }, (_, d) => Math.fround(Math.sin(i * 0.37 + d))),
    }));
    await writeFile(file, `${input.map((d) => JSON.stringify(d)).join('\n')}\n`);
    const [a, b] = [await replica(), await replica()];
    try {
      expect((await fetch(`${a.url}/collections/par`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dimensions: DIM }) })).status).toBe(200);
      const args = [file, '--collection', 'par', '--url', `${a.url},${b.url}`, '--vector-field', 'vec', '--batch', '20', '--concurrency', '4'];

      // Killed once its checkpoint counts some committed documents, well before the end.
      const first = ingest(args);
      const checkpoint = checkpointPath(file, 'par');
      let atKill = 0;
      for (let i = 0; i < 2000 && atKill === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
        if (existsSync(checkpoint)) atKill = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { documents: number }).documents;
      }
      first.kill();
      await first.done;
      const committed = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { documents: number }).documents;
      expect(committed).toBeGreaterThan(0);
      expect(committed).toBeLessThan(DOCS);

      const resumed = await ingest([...args, '--resume']).done;
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain(`resuming after the ${committed} documents`);
      expect(resumed.stdout).toMatch(new RegExp(`^ingested ${DOCS - committed} documents into par .*\\(${committed} skipped: committed by an earlier run\\)`));
      // A finished run leaves no checkpoint behind.
      expect(existsSync(checkpoint)).toBe(false);

      const seen = new Map<string, { text: string; metadata: Record<string, unknown> }>();
      for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
        const page = (await (await fetch(`${b.url}/collections/par/documents?limit=1000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`)).json()) as {
          documents: { id: string; text: string; metadata: Record<string, unknown> }[];
          next_cursor: string | null;
        };
        for (const d of page.documents) seen.set(d.id, { text: d.text, metadata: d.metadata });
        cursor = page.next_cursor;
      }
      expect(seen.size).toBe(DOCS);
      for (const d of input) expect(seen.get(d.id), d.id).toEqual({ text: d.text, metadata: { group: d.group } });
      // The vectors are the file's, not embeddings of the text: a search for one finds it first.
      const probe = input[1234] as (typeof input)[number];
      const search = (await (await fetch(`${a.url}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ collection: 'par', vector: probe.vec, query: 'x', mode: 'vector', rerank: false, top_n: 1 }) })).json()) as { results: { id: string }[] };
      expect(search.results[0]?.id).toBe(probe.id);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
