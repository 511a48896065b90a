import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreSettings } from '../../src/config.js';
import { ConfigError, StoreTimeoutError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import { bruteForce, pgliteUnderTest, randomUnitVector, recall, seeded, type StoreUnderTest } from './store-fixtures.js';

describe('filtered searches through the HNSW index', () => {
  // With small tables the planner answers filtered searches exactly (GIN or a sequential scan).
  // PGlite has one session for all its connections, so a session-level SET on the test's own
  // connection forces the store's filtered searches onto the HNSW index: the iterative scan must
  // then still fill k, and find every match of a selective filter.
  let t: StoreUnderTest;
  const rand = seeded(8);
  const docs = Array.from({ length: 3000 }, (_, i) => ({ id: `h${String(i).padStart(4, '0')}`, vectors: [randomUnitVector(rand, 32)], group: i % 5, rare: i % 50 === 0 }));
  beforeAll(async () => {
    t = await pgliteUnderTest();
    await t.store.createCollection({ name: 'forced', dimensions: 32 });
    await t.store.upsert('forced', docs.map((d) => ({ id: d.id, text: d.id, metadata: { group: d.group, rare: d.rare }, chunks: [{ text: d.id, embedding: d.vectors[0]! }] })));
    await t.sql.query('SET enable_seqscan = off');
    await t.sql.query('SET enable_bitmapscan = off');
  });
  afterAll(async () => {
    // Undefined when beforeAll failed (dist/ missing, say): nothing to close.
    if ((t as StoreUnderTest | undefined) === undefined) return;
    await t.sql.query('RESET enable_seqscan');
    await t.sql.query('RESET enable_bitmapscan');
    await t.close();
  });

  it('fills k for a filter keeping 20%, and returns all 60 matches of a 2% filter', async () => {
    const { rows } = await t.sql.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT id FROM "rrc_forced" WHERE metadata @> '{"group": 2}' ORDER BY embedding <=> $1::vector LIMIT 100`, [`[${Array(32).fill(0.1).join(',')}]`]);
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('Index Scan using rrc_forced_hnsw');
    let total = 0;
    for (let i = 0; i < 5; i++) {
      const q = randomUnitVector(rand, 32);
      const hits = await t.store.vectorSearch('forced', q, 100, { filter: { group: 2 } });
      expect(hits).toHaveLength(100);
      expect(hits.every((h, j) => h.metadata['group'] === 2 && (j === 0 || hits[j - 1]!.score >= h.score))).toBe(true);
      total += recall(hits, bruteForce(q, docs.filter((d) => d.group === 2), 100));
      const rare = await t.store.vectorSearch('forced', q, 100, { filter: { rare: true } });
      expect(rare.map((h) => h.id).sort()).toEqual(docs.filter((d) => d.rare).map((d) => d.id));
    }
    expect(total / 5).toBeGreaterThanOrEqual(0.95);
  });
});

describe('embedded store on disk', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rr-store-restart-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));
  const settings = (): StoreSettings => ({ url: undefined, dataDir: dir, timeoutMs: 30_000, poolSize: 2, schema: 'reranker' });

  it('keeps collections and documents across a restart, and holds its data directory against a second opener', async () => {
    const stages = new Set<string>();
    const first = await openStore(settings(), { observe: (stage, seconds) => seconds >= 0 && stages.add(stage) });
    expect(first?.kind).toBe('pglite');
    await first!.createCollection({ name: 'kept', dimensions: 2, language: 'simple' });
    await first!.upsert('kept', [
      { id: 'a', text: 'persisted words', metadata: { k: 1 }, chunks: [{ text: 'persisted words', embedding: Float32Array.of(1, 0) }] },
      { id: 'b', text: 'other', chunks: [{ text: 'other', embedding: Float32Array.of(0, 1) }] },
    ]);
    await first!.lexicalSearch('kept', 'words', 1);
    expect([...stages].sort()).toEqual(['index_build', 'lexical_search', 'upsert_batch']);
    expect(await readFile(join(dir, 'store.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await expect(openStore(settings())).rejects.toBeInstanceOf(ConfigError);
    await first!.close();

    const second = await openStore(settings());
    expect(await second!.getCollection('kept')).toMatchObject({ name: 'kept', dimensions: 2, language: 'simple' });
    expect(await second!.count('kept')).toBe(2);
    expect(await second!.getDocument('kept', 'a')).toEqual({ id: 'a', text: 'persisted words', metadata: { k: 1 } });
    expect((await second!.vectorSearch('kept', Float32Array.of(0, 1), 1))[0]?.id).toBe('b');
    expect((await second!.lexicalSearch('kept', 'words', 5)).map((h) => h.id)).toEqual(['a']);
    await second!.close();
  });

  it('is turned off by none', async () => {
    expect(await openStore({ ...settings(), url: 'none' })).toBeUndefined();
    await expect(openStore({ ...settings(), url: 'mysql://x' })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('embedded store past its timeout', () => {
  let t: StoreUnderTest;
  beforeAll(async () => {
    t = await pgliteUnderTest({ timeoutMs: 600 });
    // A view that sleeps: the slowest thing an attached table can be.
    await t.sql.query(`CREATE TABLE docs_src (id text PRIMARY KEY, body text, emb vector(2))`);
    await t.sql.query(`INSERT INTO docs_src VALUES ('a', 'alpha', '[1,0]')`);
    await t.sql.query(`CREATE VIEW slow_src AS SELECT d.* FROM docs_src d, LATERAL (SELECT pg_sleep(2)) s`);
    await t.store.createCollection({ name: 'slow', dimensions: 2, source: { table: 'slow_src', id_column: 'id', text_column: 'body', vector_column: 'emb' } });
  });
  afterAll(async () => (t as StoreUnderTest | undefined)?.close());

  it('answers StoreTimeoutError at the timeout although PGlite cannot cancel, and serves again once the statement ends', async () => {
    const started = performance.now();
    const err = await t.store.count('slow').catch((e: unknown) => e);
    const waited = performance.now() - started;
    expect(err).toBeInstanceOf(StoreTimeoutError);
    expect(err).toMatchObject({ code: 'STORE_TIMEOUT', statusCode: 504 });
    // Answered at the timeout, not when pg_sleep(2) ended.
    expect(waited).toBeGreaterThanOrEqual(550);
    expect(waited).toBeLessThan(1500);
    // PGlite is still busy with the sleep; once it is done, the store answers again.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await t.store.getCollection('slow')).toMatchObject({ name: 'slow' });
  });

  it('stops waiting when the caller aborts, with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    setTimeout(() => controller.abort(reason), 100);
    const started = performance.now();
    await expect(t.store.vectorSearch('slow', Float32Array.of(1, 0), 1, { signal: controller.signal })).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(500);
    await expect(t.store.count('slow', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await t.store.listCollections()).toHaveLength(1);
  });
});
