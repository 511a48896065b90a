import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus, POSTGRES_HINT, postgresProblem, searchApp, type SearchApp } from '../support/search-app.js';
import { sample } from './metrics-text.js';
import { injector } from '../helpers/inject.js';

const postgres = await postgresProblem();

for (const backend of ['pglite', 'postgres'] as const) {
  const skip = backend === 'postgres' && postgres !== undefined;
  describe.skipIf(skip)(`the collections API on ${backend}${skip ? ` (${POSTGRES_HINT})` : ''}`, () => {
    let t: SearchApp;
    const suffix = randomBytes(3).toString('hex');
    const made: string[] = [];
    const name = (base: string): string => {
      const n = `${base}-${suffix}`;
      made.push(n);
      return n;
    };
    beforeAll(async () => {
      t = await searchApp(backend);
    });
    afterAll(async () => {
      for (const n of made) await t?.app.inject({ method: 'DELETE', url: `/collections/${n}` });
      await t?.close();
    });
    const { get, del } = injector(() => t.app);

    it('PUT creates with defaults, is idempotent, and answers 409 when the settings differ', async () => {
      const docs = name('docs');
      const created = await t.put(`/collections/${docs}`);
      expect(created).toMatchObject({ status: 200, body: { name: docs, documents: 0, dimensions: 32, distance: 'cosine', language: 'english', chunking: null, hnsw: { m: 16, ef_construction: 64 } } });
      expect(created.body.embedding_model).toBe(t.service.ready().embedder?.model.servedName);
      expect(await t.put(`/collections/${docs}`, { distance: 'cosine' })).toMatchObject({ status: 200 });
      expect(await t.put(`/collections/${docs}`, { distance: 'l2' })).toMatchObject({ status: 409, body: { error: { code: 'COLLECTION_CONFLICT' } } });
      expect(await t.put(`/collections/${docs}`, { dimensions: 8 })).toMatchObject({ status: 409, body: { error: { code: 'COLLECTION_CONFLICT' } } });
      expect(await t.put(`/collections/${name('other')}`, { distance: 'ip', language: 'french', hnsw: { m: 8, ef_construction: 32 } })).toMatchObject({
        status: 200,
        body: { distance: 'ip', language: 'french', hnsw: { m: 8, ef_construction: 32 } },
      });
      expect(await t.put(`/collections/${name('nolang')}`, { language: 'klingon' })).toMatchObject({ status: 422 });
      const list = await get('/collections');
      expect((list.body.collections as { name: string }[]).map((c) => c.name)).toEqual(expect.arrayContaining([docs]));
      expect(await get(`/collections/no-such-${suffix}`)).toMatchObject({ status: 404, body: { error: { code: 'COLLECTION_NOT_FOUND' } } });
    });

    it('upserts by id (JSON), reads one back, deletes by id', async () => {
      const docs = name('rw');
      await t.put(`/collections/${docs}`);
      const first = await t.post(`/collections/${docs}/documents`, { documents: corpus(20) });
      expect(first).toMatchObject({ status: 200, body: { upserted: 20, usage: { embedded_texts: 20, chunks: 20 } } });
      expect(first.body.usage.embedding_tokens).toBeGreaterThan(20 * 3);
      // Same ids again: replaced, not added; read-your-writes.
      await t.post(`/collections/${docs}/documents`, { documents: [{ id: 'doc-3', text: 'replaced text', metadata: { v: 2 } }] });
      expect(await get(`/collections/${docs}/documents/doc-3`)).toMatchObject({ status: 200, body: { id: 'doc-3', text: 'replaced text', metadata: { v: 2 } } });
      expect((await get(`/collections/${docs}`)).body.documents).toBe(20);
      expect(await del(`/collections/${docs}/documents`, { ids: ['doc-1', 'doc-2', 'never-there'] })).toMatchObject({ status: 200, body: { deleted: 2 } });
      expect(await get(`/collections/${docs}/documents/doc-1`)).toMatchObject({ status: 404, body: { error: { code: 'DOCUMENT_NOT_FOUND' } } });
      expect((await get(`/collections/${docs}`)).body.documents).toBe(18);
      expect(await del(`/collections/${docs}`)).toMatchObject({ status: 200, body: { deleted: true } });
      expect(await get(`/collections/${docs}`)).toMatchObject({ status: 404 });
    });

    it('takes ready vectors, and refuses a wrong dimension with 422', async () => {
      const docs = name('vec');
      await t.put(`/collections/${docs}`);
      const v = Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0));
      expect(await t.post(`/collections/${docs}/documents`, { documents: [{ id: 'a', text: 'x', vector: v }] })).toMatchObject({ status: 200, body: { upserted: 1, usage: { embedded_texts: 0 } } });
      expect(await t.post(`/collections/${docs}/documents`, { documents: [{ id: 'b', text: 'x', vector: [1, 2, 3] }] })).toMatchObject({ status: 422, body: { error: { code: 'DIMENSION_MISMATCH' } } });
    });

    it('streams an NDJSON bulk load in batches, and names the line of a bad document', async () => {
      const docs = name('bulk');
      await t.put(`/collections/${docs}`);
      const body = `${corpus(700).map((d) => JSON.stringify(d)).join('\n')}\n\n`;
      const res = await t.app.inject({ method: 'POST', url: `/collections/${docs}/documents`, payload: body, headers: { 'content-type': 'application/x-ndjson' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ upserted: 700, usage: { embedded_texts: 700 } });
      expect((await get(`/collections/${docs}`)).body.documents).toBe(700);
      // The load deferred its HNSW index to one build at the end, timed as its own stage.
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(sample(metrics, 'reranker_stage_duration_seconds_count', { stage: 'index', model: 'none' })).toBeGreaterThanOrEqual(1);
      const bad = `${JSON.stringify({ id: 'ok', text: 'fine' })}\n{"id": -5, "text": "x"}\n`;
      const refused = await t.app.inject({ method: 'POST', url: `/collections/${docs}/documents`, payload: bad, headers: { 'content-type': 'application/x-ndjson' } });
      expect(refused.statusCode).toBe(422);
      expect(refused.json().error.message).toMatch(/^line 2: /);
      const broken = await t.app.inject({ method: 'POST', url: `/collections/${docs}/documents`, payload: '{"id": "x", "text": \n', headers: { 'content-type': 'application/x-ndjson' } });
      expect(broken.statusCode).toBe(400);
      expect(broken.json().error.message).toMatch(/line 1 is not valid JSON/);
    });

    it('stores hostile ids and metadata literally, and refuses what the store cannot hold', async () => {
      const docs = name('hostile');
      await t.put(`/collections/${docs}`);
      const odd = [
        { id: "x'; DROP TABLE rr_collections; --", text: 'quote', metadata: { "k'ey": 'va"lue', 'semi;colon': '--' } },
        { id: 'Robert"); --', text: 'double', metadata: { nested: { deep: [1, { a: '\\' }] } } },
        { id: 'é 💥 \u200d', text: 'unicode ids', metadata: {} },
      ];
      expect(await t.post(`/collections/${docs}/documents`, { documents: odd })).toMatchObject({ status: 200, body: { upserted: 3 } });
      for (const d of odd) expect(await get(`/collections/${docs}/documents/${encodeURIComponent(d.id)}`)).toMatchObject({ status: 200, body: d });
      expect(await t.post(`/collections/${docs}/documents`, { documents: [{ id: 'nul\u0000id', text: 'x' }] })).toMatchObject({ status: 422 });
      expect(await t.post(`/collections/${docs}/documents`, { documents: [{ id: 'y'.repeat(10_000), text: 'x' }] })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('id') } } });
      for (const bad of ["x'; DROP TABLE", 'UPPER', 'a'.repeat(64), 'semi;colon', '..']) {
        const res = await t.put(`/collections/${encodeURIComponent(bad)}`);
        expect(res.status, bad).toBeGreaterThanOrEqual(400);
        expect(res.status, bad).toBeLessThan(500);
      }
      expect((await get(`/collections`)).status).toBe(200);
      expect((await get(`/collections/${docs}`)).body.documents).toBe(3);
    });

    it('refuses to embed into a collection made by another embedding model', async () => {
      const docs = name('foreign');
      await t.put(`/collections/${docs}`, { dimensions: 32 });
      // Pretend another service made it: create it through the store with another model's name.
      await t.service.documents().store.dropCollection(docs);
      await t.service.documents().store.createCollection({ name: docs, dimensions: 32, embedding_model: 'some-other-model' });
      expect(await t.post(`/collections/${docs}/documents`, { documents: [{ id: 'a', text: 'x' }] })).toMatchObject({ status: 409, body: { error: { code: 'COLLECTION_CONFLICT' } } });
      expect(await t.post('/search', { collection: docs, query: 'x' })).toMatchObject({ status: 409 });
      expect(await t.post('/search', { collection: docs, query: 'x', mode: 'lexical' })).toMatchObject({ status: 200 });
    });
  });
}
