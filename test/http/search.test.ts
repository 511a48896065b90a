import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus, POSTGRES_HINT, postgresProblem, searchApp, STORE_TEST_URL, type SearchApp } from '../support/search-app.js';
import { cosine } from '../helpers/vectors.js';

const postgres = await postgresProblem();
const DOCS = corpus(240);
const QUERY = 'the capital of france and its museum of art';

/** The same checks on both stores: embedded PGlite, and PostgreSQL with pgvector when it runs here. */
for (const backend of ['pglite', 'postgres'] as const) {
  const skip = backend === 'postgres' && postgres !== undefined;
  describe.skipIf(skip)(`POST /search on ${backend}${skip ? ` (${POSTGRES_HINT})` : ''}`, () => {
    let t: SearchApp;
    const name = `docs-${randomBytes(3).toString('hex')}`;
    let vectors: Map<string, number[]>;
    let queryVector: number[];

    beforeAll(async () => {
      t = await searchApp(backend);
      const created = await t.put(`/collections/${name}`);
      expect(created.status).toBe(200);
      // A collection of ours ranks its lexical leg with BM25 (issue 22), with the default parameters.
      expect(created.body).toMatchObject({ lexical_ranking: 'bm25', bm25: { k1: 1.2, b: 0.75 }, vector_type: 'vector' });
      const res = await t.post(`/collections/${name}/documents`, { documents: DOCS });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ upserted: DOCS.length, usage: { embedded_texts: DOCS.length } });
      // The vectors the store holds are the embedder's, normalised: the independent reference embeds again.
      const embedded = await t.post('/v1/embeddings', { input: [...DOCS.map((d) => d.text), QUERY] });
      const all = (embedded.body.data as { embedding: number[] }[]).map((d) => d.embedding);
      vectors = new Map(DOCS.map((d, i) => [d.id, all[i] as number[]]));
      queryVector = all.at(-1) as number[];
    });
    afterAll(async () => {
      await t?.app.inject({ method: 'DELETE', url: `/collections/${name}` });
      await t?.close();
    });

    const search = (body: Record<string, unknown>, headers?: Record<string, string>) => t.post('/search', { collection: name, query: QUERY, ...body }, headers);
    type Result = { id: string; relevance_score: number; scores: Record<string, number>; ranks: Record<string, number>; document?: { text: string; metadata: Record<string, unknown> } };

    /** Brute-force cosine over the stored vectors, best first, ties by id. */
    const bruteForce = (keep: (d: (typeof DOCS)[number]) => boolean) =>
      DOCS.filter(keep)
        .map((d) => ({ id: d.id, score: cosine(queryVector, vectors.get(d.id) as number[]) }))
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));

    it('vector leg: the nearest documents by cosine similarity (1 - cosine distance)', async () => {
      const res = await search({ mode: 'vector', rerank: false, candidates: 50, top_n: 50 });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const results = res.body.results as Result[];
      const expected = bruteForce(() => true).slice(0, 50);
      const overlap = results.filter((r) => expected.some((e) => e.id === r.id)).length;
      expect(overlap / 50).toBeGreaterThanOrEqual(0.96);
      for (const r of results) expect(Math.abs((r.scores['vector'] as number) - cosine(queryVector, vectors.get(r.id) as number[]))).toBeLessThan(1e-5);
      expect(results.map((r) => r.ranks['vector'])).toEqual(results.map((_, i) => i + 1));
      expect(res.body.usage).toMatchObject({ candidates: 50, rerank_tokens: 0 });
    });

    it('a metadata filter applies inside the leg, before the window is cut', async () => {
      const res = await search({ mode: 'vector', rerank: false, candidates: 30, top_n: 30, filter: { $and: [{ group: 2 }, { price: { $gte: 20 } }] } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const results = res.body.results as Result[];
      const expected = bruteForce((d) => d.metadata.group === 2 && d.metadata.price >= 20).slice(0, 30);
      expect(results).toHaveLength(Math.min(30, expected.length));
      for (const r of results) expect(r.document?.metadata).toMatchObject({ group: 2 });
      expect(results.filter((r) => expected.some((e) => e.id === r.id)).length / results.length).toBeGreaterThanOrEqual(0.96);
    });

    it('hybrid: reciprocal rank fusion of the two legs, ties by id, weights and rrf_k honoured', async () => {
      const vectorOnly = (await search({ mode: 'vector', rerank: false, candidates: 40, top_n: 40 })).body.results as Result[];
      const lexicalRes = await search({ mode: 'lexical', rerank: false, candidates: 40, top_n: 40 });
      const lexicalOnly = lexicalRes.body.results as Result[];
      expect(lexicalOnly.length).toBeGreaterThan(5);
      // BM25 scored at least the documents it returns, and never more rows than the collection holds.
      expect(lexicalRes.body.usage.lexical_scored).toBeGreaterThanOrEqual(lexicalOnly.length);
      expect(lexicalRes.body.usage.lexical_scored).toBeLessThanOrEqual(DOCS.length);
      // Ranked from the process's postings (a collection this small is built by its first search), counted per ranking.
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/reranker_lexical_searches_total\{ranking="memory"\} [1-9]/);
      for (const [weights, k] of [[{ vector: 1, lexical: 1 }, 60], [{ vector: 2, lexical: 0.5 }, 10]] as const) {
        const res = await search({ rerank: false, candidates: 40, top_n: 40, weights, rrf_k: k });
        // RRF in a few lines, from the single-leg lists.
        const fused = new Map<string, number>();
        vectorOnly.forEach((r, i) => fused.set(r.id, (fused.get(r.id) ?? 0) + weights.vector / (k + i + 1)));
        lexicalOnly.forEach((r, i) => fused.set(r.id, (fused.get(r.id) ?? 0) + weights.lexical / (k + i + 1)));
        const expected = [...fused.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).slice(0, 40);
        const results = res.body.results as Result[];
        expect(results.map((r) => r.id)).toEqual(expected.map(([id]) => id));
        results.forEach((r, i) => {
          expect(r.scores['fused']).toBeCloseTo(expected[i]?.[1] as number, 12);
          expect(r.ranks['fused']).toBe(i + 1);
          // A leg a document did not appear in is left out.
          expect('vector' in r.ranks).toBe(vectorOnly.some((v) => v.id === r.id));
          expect('lexical' in r.ranks).toBe(lexicalOnly.some((l) => l.id === r.id));
        });
      }
    });

    it('rerank: the fused candidates scored as /rerank scores them, best first, ties by first-stage rank', async () => {
      const firstStage = (await search({ rerank: false, candidates: 25, top_n: 25 })).body.results as Result[];
      const res = await search({ candidates: 25, top_n: 10, raw_scores: true });
      expect(res.status).toBe(200);
      const results = res.body.results as Result[];
      const direct = await t.post('/v2/rerank', { query: QUERY, documents: firstStage.map((r) => r.document?.text), raw_scores: true });
      const byIndex = new Map((direct.body.results as { index: number; relevance_score: number }[]).map((r) => [r.index, r.relevance_score]));
      const expected = firstStage.map((r, i) => ({ id: r.id, score: byIndex.get(i) as number, fused: r.ranks['fused'] as number })).sort((a, b) => b.score - a.score || a.fused - b.fused);
      expect(results.map((r) => r.id)).toEqual(expected.slice(0, 10).map((e) => e.id));
      results.forEach((r, i) => {
        expect(r.relevance_score).toBeCloseTo(expected[i]?.score as number, 5);
        expect(r.scores['rerank']).toBe(r.relevance_score);
      });
      expect(res.body.usage.candidates).toBe(25);
      expect(String(res.headers['server-timing'])).toMatch(/^embed;dur=[\d.]+, vector;dur=[\d.]+, lexical;dur=[\d.]+, fuse;dur=[\d.]+, cache;dur=/);
    });

    it('a repeated search embeds nothing and scores nothing again', async () => {
      await search({ candidates: 20, top_n: 5 });
      const again = await search({ candidates: 20, top_n: 5 });
      expect(again.body.usage).toMatchObject({ embedding_tokens: 0, rerank_tokens: 0, cached_pairs: 20 });
    });

    it('answers clear 4xx for an unknown collection, a bad window, filter or vector', async () => {
      expect(await t.post('/search', { collection: 'no-such-collection', query: 'q' })).toMatchObject({ status: 404, body: { error: { code: 'COLLECTION_NOT_FOUND' } } });
      expect(await search({ top_n: 20, candidates: 10 })).toMatchObject({ status: 422, body: { error: { code: 'INVALID_ARGUMENT' } } });
      expect(await search({ filter: { price: { $near: 3 } } })).toMatchObject({ status: 422, body: { error: { code: 'INVALID_FILTER', message: expect.stringContaining('$near') } } });
      expect(await search({ mode: 'vector', vector: [0.1, 0.2] })).toMatchObject({ status: 422, body: { error: { code: 'DIMENSION_MISMATCH' } } });
      expect(await search({ candidates: 0 })).toMatchObject({ status: 422 });
      expect(await search({ candidates: 50, ef_search: 49 })).toMatchObject({ status: 422, body: { error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('ef_search') } } });
      expect(await search({ ef_search: 1001 })).toMatchObject({ status: 422 });
      expect(await t.post('/search', { collection: 'Bad Name!', query: 'q' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', message: expect.stringContaining('collection') } } });
    });

    it('ef_search widens the vector leg\'s index scan and changes nothing else', async () => {
      const plain = await search({ mode: 'vector', rerank: false, candidates: 10, top_n: 10 });
      const wide = await search({ mode: 'vector', rerank: false, candidates: 10, top_n: 10, ef_search: 1000 });
      expect(wide.status).toBe(200);
      // This collection is small enough for the index to find every neighbour either way.
      expect(wide.body.results.map((r: { id: string }) => r.id)).toEqual(plain.body.results.map((r: { id: string }) => r.id));
    });

    it('a ready query vector skips the embed stage', async () => {
      const res = await search({ mode: 'vector', rerank: false, vector: queryVector, candidates: 10, top_n: 10 });
      expect(res.status).toBe(200);
      expect(res.body.usage.embedding_tokens).toBe(0);
      expect(String(res.headers['server-timing'])).not.toContain('embed;');
    });

    it('a deadline covers every stage: 504 and nothing left running', async () => {
      const res = await search({ candidates: 200, top_n: 10 }, { 'x-request-timeout-ms': '1', 'cache-control': 'no-store' });
      expect(res.status).toBe(504);
      expect(res.body.error.code).toMatch(/DEADLINE_EXCEEDED|STORE_TIMEOUT/);
      expect((await search({ candidates: 10, top_n: 3 })).status).toBe(200);
    });

    it('chunked documents: stored whole, found once, scored by their best passage', async () => {
      const chunked = `${name}-chunked`;
      expect((await t.put(`/collections/${chunked}`, { chunking: { max_tokens: 16, overlap: 4 } })).status).toBe(200);
      const long = `${'the tower stands by the river in paris '.repeat(6)}and the cheese of the south is famous ${'bread and wine '.repeat(10)}`;
      const res = await t.post(`/collections/${chunked}/documents`, { documents: [{ id: 'long', text: long }, { id: 'short', text: 'a garden of music' }] });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.usage.chunks).toBeGreaterThan(4);
      expect((await t.app.inject({ method: 'GET', url: `/collections/${chunked}/documents/long` })).json()).toMatchObject({ id: 'long', text: long });
      const found = await t.post('/search', { collection: chunked, query: 'famous cheese of the south', candidates: 10, top_n: 10 });
      expect(found.status).toBe(200);
      expect((found.body.results as Result[]).map((r) => r.id).sort()).toEqual(['long', 'short']);
      await t.app.inject({ method: 'DELETE', url: `/collections/${chunked}` });
    });
  });
}

describe('POST /search without an embedding model', () => {
  it('lexical mode works; modes that need the query embedded answer 503 EMBEDDER_UNAVAILABLE', async () => {
    const t = await searchApp('pglite', { embeddingModel: 'none' });
    try {
      expect((await t.put('/collections/plain', { dimensions: 4 })).status).toBe(200);
      const docs = [{ id: 'a', text: 'paris is the capital of france', vector: [1, 0, 0, 0] }, { id: 'b', text: 'bread and cheese', vector: [0, 1, 0, 0] }];
      expect((await t.post('/collections/plain/documents', { documents: docs })).status).toBe(200);
      const lexical = await t.post('/search', { collection: 'plain', query: 'capital of france', mode: 'lexical' });
      expect(lexical.status).toBe(200);
      expect(lexical.body.results[0].id).toBe('a');
      const vector = await t.post('/search', { collection: 'plain', query: 'capital' });
      expect(vector).toMatchObject({ status: 503, body: { error: { code: 'EMBEDDER_UNAVAILABLE' } } });
      // A ready vector needs no embedder.
      expect((await t.post('/search', { collection: 'plain', query: 'capital', vector: [0.9, 0.1, 0, 0] })).body.results[0].id).toBe('a');
    } finally {
      await t.close();
    }
  });
});

describe('a store that cannot be reached', () => {
  it('answers 503 STORE_UNAVAILABLE with Retry-After, and /rerank keeps working', async () => {
    const t = await searchApp('pglite', { store: 'postgres://postgres@127.0.0.1:9/nothing' });
    try {
      const res = await t.post('/search', { collection: 'x', query: 'q' });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('STORE_UNAVAILABLE');
      expect(res.headers['retry-after']).toBeDefined();
      expect((await t.post('/v2/rerank', { query: 'q', documents: ['a'] })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe.skipIf(postgres !== undefined)(`an attached table on Postgres${postgres === undefined ? '' : ` (${POSTGRES_HINT})`}`, () => {
  it('is searched where it is and left unchanged', async () => {
    const table = `sidecar_${randomBytes(3).toString('hex')}`;
    const sql = new pg.Pool({ connectionString: STORE_TEST_URL, max: 1 });
    const t = await searchApp('postgres');
    try {
      await sql.query(`CREATE TABLE ${table} (doc_id text PRIMARY KEY, body text NOT NULL, emb vector(32), meta jsonb)`);
      const embedded = await t.post('/v1/embeddings', { input: DOCS.slice(0, 40).map((d) => d.text) });
      for (const [i, d] of DOCS.slice(0, 40).entries()) {
        await sql.query(`INSERT INTO ${table} VALUES ($1, $2, $3, $4)`, [d.id, d.text, `[${(embedded.body.data[i].embedding as number[]).join(',')}]`, JSON.stringify(d.metadata)]);
      }
      const checksum = async () => (await sql.query(`SELECT count(*)::int AS n, md5(string_agg(doc_id || body || emb::text || meta::text, '|' ORDER BY doc_id)) AS sum FROM ${table}`)).rows[0];
      const before = await checksum();
      const name = `attached-${randomBytes(3).toString('hex')}`;
      const attach = await t.put(`/collections/${name}`, { source: { table, id_column: 'doc_id', text_column: 'body', vector_column: 'emb', metadata_column: 'meta' } });
      expect(attach.status, JSON.stringify(attach.body)).toBe(200);
      expect(attach.body).toMatchObject({ documents: 40, dimensions: 32, lexical_ranking: 'ts_rank_cd', bm25: null });
      const found = await t.post('/search', { collection: name, query: QUERY, candidates: 20, top_n: 5, filter: { group: 1 } });
      expect(found.status, JSON.stringify(found.body)).toBe(200);
      expect(found.body.usage.lexical_scored).toBe(0);
      expect(found.body.results.length).toBeGreaterThan(0);
      for (const r of found.body.results as { document: { metadata: { group: number } } }[]) expect(r.document.metadata.group).toBe(1);
      expect(await t.post(`/collections/${name}/documents`, { documents: [{ id: 'x', text: 'y' }] })).toMatchObject({ status: 409, body: { error: { code: 'READ_ONLY_COLLECTION' } } });
      const del = await t.app.inject({ method: 'DELETE', url: `/collections/${name}/documents`, payload: { ids: ['doc-1'] } });
      expect(del.statusCode).toBe(409);
      expect((await t.app.inject({ method: 'DELETE', url: `/collections/${name}` })).statusCode).toBe(200);
      expect(await checksum()).toEqual(before);
    } finally {
      await sql.query(`DROP TABLE IF EXISTS ${table}`);
      await sql.end();
      await t.close();
    }
  });
});
