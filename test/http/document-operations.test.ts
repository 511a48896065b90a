import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus, POSTGRES_HINT, postgresProblem, searchApp, type SearchApp } from '../support/search-app.js';
import { inject } from '../helpers/inject.js';

/**
 * Issue 24, item 7: the document operations Qdrant users reach for, on both stores: scroll by id with
 * a filter (each document exactly once while upserts run), read many ids, count, delete by filter,
 * change metadata without embedding again, numeric ids; and /search's offset and score_threshold.
 */
const postgres = await postgresProblem();
const common = (code: string, message: string) => ({ error: { code, message }, message, detail: message });

for (const backend of ['pglite', 'postgres'] as const) {
  const skip = backend === 'postgres' && postgres !== undefined;
  describe.skipIf(skip)(`document operations on ${backend}${skip ? ` (${POSTGRES_HINT})` : ''}`, () => {
    let t: SearchApp;
    let dimensions: number;
    const name = `ops-${randomBytes(3).toString('hex')}`;
    const DOCS = corpus(60);
    const vectorOf = (i: number): number[] => Array.from({ length: dimensions }, (_, d) => Math.sin(i * 7 + d));

    beforeAll(async () => {
      t = await searchApp(backend);
      const created = await t.put(`/collections/${name}`);
      expect(created.status).toBe(200);
      dimensions = created.body.dimensions as number;
      const res = await t.post(`/collections/${name}/documents`, { documents: DOCS });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });
    afterAll(async () => {
      await t?.app.inject({ method: 'DELETE', url: `/collections/${name}` });
      await t?.close();
    });

    const get = (url: string) => inject(t.app, 'GET', url);

    it('scrolls every document once, by id, in pages, with a filter', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(`/collections/${name}/documents?limit=25${cursor === null ? '' : `&cursor=${cursor}`}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        seen.push(...(res.body.documents as { id: string }[]).map((d) => d.id));
        cursor = res.body.next_cursor as string | null;
        pages++;
      } while (cursor !== null);
      expect(pages).toBe(3);
      expect(seen).toEqual(DOCS.map((d) => d.id).sort());
      const filter = encodeURIComponent(JSON.stringify({ group: 2 }));
      const filtered = await get(`/collections/${name}/documents?limit=1000&filter=${filter}`);
      expect(filtered.body.documents.map((d: { id: string }) => d.id)).toEqual(DOCS.filter((d) => d.metadata.group === 2).map((d) => d.id).sort());
      expect(filtered.body.next_cursor).toBeNull();
      const first = filtered.body.documents[0];
      const doc = DOCS.find((d) => d.id === first.id);
      expect(first).toEqual({ id: doc?.id, text: doc?.text, metadata: doc?.metadata });
    });

    it('refuses a bad cursor, a bad filter, a bad limit and an unknown collection, with whole bodies', async () => {
      expect(await get(`/collections/${name}/documents?cursor=not-ours`)).toMatchObject({ status: 422, body: common('INVALID_ARGUMENT', 'cursor is not one this service gave out; pass next_cursor as it came.') });
      expect(await get(`/collections/${name}/documents?filter=%7Bnope`)).toMatchObject({ status: 422, body: common('INVALID_FILTER', 'filter must be a JSON object (URL-encoded), as /search takes it.') });
      const op = await get(`/collections/${name}/documents?filter=${encodeURIComponent('{"price": {"$near": 3}}')}`);
      expect(op.status).toBe(422);
      expect(op.body.error.code).toBe('INVALID_FILTER');
      expect(await get(`/collections/${name}/documents?limit=0`)).toMatchObject({ status: 422, body: common('INVALID_ARGUMENT', 'query.limit must be a whole number from 1 to 1000, got "0".') });
      expect(await get('/collections/nowhere/documents')).toMatchObject({ status: 404, body: { error: { code: 'COLLECTION_NOT_FOUND' } } });
    });

    it('reads many ids in the order asked, names the missing ones, and takes numeric ids', async () => {
      const ids = [DOCS[5]?.id, 'absent', DOCS[1]?.id, DOCS[5]?.id];
      const res = await t.post(`/collections/${name}/documents/get`, { ids });
      expect(res.status).toBe(200);
      expect(res.body.documents.map((d: { id: string }) => d.id)).toEqual([DOCS[5]?.id, DOCS[1]?.id]);
      expect(res.body.missing).toEqual(['absent']);
      const numeric = await t.post(`/collections/${name}/documents`, { documents: [{ id: 42, text: 'The answer.', metadata: { group: 9 } }] });
      expect(numeric.status, JSON.stringify(numeric.body)).toBe(200);
      expect((await get(`/collections/${name}/documents/42`)).body).toEqual({ id: '42', text: 'The answer.', metadata: { group: 9 } });
      expect((await t.post(`/collections/${name}/documents/get`, { ids: [42, '42'] })).body.documents).toEqual([{ id: '42', text: 'The answer.', metadata: { group: 9 } }]);
      expect((await inject(t.app, 'DELETE', `/collections/${name}/documents`, { ids: [42] })).body).toEqual({ deleted: 1 });
      expect((await t.post(`/collections/${name}/documents`, { documents: [{ id: -1, text: 'x' }] })).status).toBe(400);
    });

    it('counts, with and without a filter', async () => {
      expect((await t.post(`/collections/${name}/count`, {})).body).toEqual({ count: DOCS.length });
      expect((await inject(t.app, 'POST', `/collections/${name}/count`)).body).toEqual({ count: DOCS.length });
      const lang = (await t.post(`/collections/${name}/count`, { filter: { lang: 'fr' } })).body;
      expect(lang).toEqual({ count: DOCS.filter((d) => d.metadata.lang === 'fr').length });
    });

    it('changes metadata without embedding again: merged or replaced, and filters see it', async () => {
      const embedded = async (): Promise<number> => Number(/^reranker_texts_embedded_total\{[^}]*\} (\d+)/m.exec((await get('/metrics')).text)?.[1] ?? NaN);
      const before = await embedded();
      const target = DOCS[3] as (typeof DOCS)[number];
      const merged = await inject(t.app, 'PATCH', `/collections/${name}/documents/${target.id}`, { metadata: { reviewed: true, group: 77 } });
      expect(merged.status, JSON.stringify(merged.body)).toBe(200);
      expect(merged.body).toEqual({ id: target.id, text: target.text, metadata: { ...target.metadata, reviewed: true, group: 77 } });
      expect((await t.post(`/collections/${name}/count`, { filter: { group: 77 } })).body).toEqual({ count: 1 });
      const replaced = await inject(t.app, 'PATCH', `/collections/${name}/documents/${target.id}`, { metadata: { only: 'this' }, mode: 'replace' });
      expect(replaced.body).toEqual({ id: target.id, text: target.text, metadata: { only: 'this' } });
      expect(await embedded()).toBe(before);
      expect(await inject(t.app, 'PATCH', `/collections/${name}/documents/absent`, { metadata: {} })).toMatchObject({ status: 404, body: common('DOCUMENT_NOT_FOUND', `Collection ${name} has no document "absent".`) });
      expect((await inject(t.app, 'PATCH', `/collections/${name}/documents/${target.id}`, { metadata: { bad: '\u0000' } })).status).toBe(422);
    });

    it('deletes by filter, and refuses an empty filter', async () => {
      const total = (await t.post(`/collections/${name}/count`, {})).body.count as number;
      const group = DOCS.filter((d) => d.metadata.group === 4).length;
      expect(group).toBeGreaterThan(0);
      expect((await t.post(`/collections/${name}/documents/delete`, { filter: { group: 4 } })).body).toEqual({ deleted: group });
      expect((await t.post(`/collections/${name}/count`, {})).body).toEqual({ count: total - group });
      expect((await t.post(`/collections/${name}/documents/delete`, { filter: { group: 4 } })).body).toEqual({ deleted: 0 });
      expect(await t.post(`/collections/${name}/documents/delete`, { filter: {} })).toMatchObject({ status: 422, body: common('INVALID_ARGUMENT', 'body.filter must NOT have fewer than 1 properties') });
    });

    it('/search pages within one candidate window and drops results under score_threshold', async () => {
      const search = (extra: Record<string, unknown>) => t.post('/search', { collection: name, query: 'paris wine museum', candidates: 20, ...extra });
      const all = (await search({ top_n: 10 })).body.results as { id: string; relevance_score: number }[];
      expect(all).toHaveLength(10);
      const second = (await search({ top_n: 5, offset: 5 })).body.results as { id: string }[];
      expect(second.map((r) => r.id)).toEqual(all.slice(5).map((r) => r.id));
      const cut = all[3]?.relevance_score as number;
      const above = (await search({ top_n: 10, score_threshold: cut })).body.results as { relevance_score: number }[];
      expect(above.length).toBeGreaterThanOrEqual(4);
      expect(above.every((r) => r.relevance_score >= cut)).toBe(true);
      expect(await search({ top_n: 10, offset: 15 })).toMatchObject({ status: 422, body: common('INVALID_ARGUMENT', 'offset + top_n (15 + 10) must not exceed candidates (20): pages come from one candidate window.') });
    });

    it('a scroll over 10,000 documents returns each exactly once while upserts run', async () => {
      const big = `${name}-big`;
      expect((await t.put(`/collections/${big}`, { dimensions })).status).toBe(200);
      const ids = Array.from({ length: 10_000 }, (_, i) => `d${String(i).padStart(5, '0')}`);
      for (let at = 0; at < ids.length; at += 1000) {
        const documents = ids.slice(at, at + 1000).map((id, j) => ({ id, text: `document ${at + j}`, metadata: { n: at + j }, vector: vectorOf(at + j) }));
        const res = await t.post(`/collections/${big}/documents`, { documents });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
      let writing = true;
      let writes = 0;
      const writer = (async () => {
        while (writing) {
          // New documents on both sides of the scroll's position, and existing ones written again.
          const n = writes++;
          const documents = [
            { id: `a${n}`, text: 'new, before', vector: vectorOf(n) },
            { id: `z${n}`, text: 'new, after', vector: vectorOf(n + 1) },
            { id: ids[(n * 997) % ids.length] as string, text: `rewritten ${n}`, metadata: { n: -1 }, vector: vectorOf(n + 2) },
          ];
          const res = await t.post(`/collections/${big}/documents`, { documents });
          expect(res.status).toBe(200);
        }
      })();
      const seen: string[] = [];
      let cursor: string | null = null;
      try {
        do {
          const res = await get(`/collections/${big}/documents?limit=500${cursor === null ? '' : `&cursor=${cursor}`}`);
          expect(res.status).toBe(200);
          seen.push(...(res.body.documents as { id: string }[]).map((d) => d.id));
          cursor = res.body.next_cursor as string | null;
        } while (cursor !== null);
      } finally {
        writing = false;
        await writer;
      }
      expect(writes).toBeGreaterThan(0);
      expect(new Set(seen).size).toBe(seen.length);
      const scrolled = new Set(seen);
      expect(ids.filter((id) => !scrolled.has(id))).toEqual([]);
      await t.app.inject({ method: 'DELETE', url: `/collections/${big}` });
    }, 240_000);
  });
}
