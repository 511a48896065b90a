import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchApp, type SearchApp } from '../support/search-app.js';

/**
 * Issue 11, item 5: deep and odd JSON. A document nested deeper than the serialiser can walk must be
 * refused at the door, not overflow the stack when it is echoed back; lone surrogates, NUL bytes and
 * very long tokens stay 2xx or a clear 4xx on every route that takes text.
 */
let t: SearchApp;
beforeAll(async () => {
  t = await searchApp('pglite', { workers: '1' });
  expect((await t.put('/collections/odd')).status).toBe(200);
});
afterAll(async () => t?.close());

/** `{"a": {"a": ... 1}}` as JSON text, `depth` objects deep: JSON.stringify itself cannot write it. */
const nestedJson = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** `{"a": {"a": ... 1}}`, `depth` objects deep. */
const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

describe('deep JSON (issue 11)', () => {
  it('/rerank, /v1/rerank and /v2/rerank refuse an object document nested past the limit with 422, echo one within it', async () => {
    for (const url of ['/rerank', '/v1/rerank', '/v2/rerank']) {
      const deep = await t.post(url, `{"query":"capital","return_documents":true,"documents":[{"text":"Paris","meta":${nestedJson(5000)}}]}`);
      expect(deep.status, url).toBe(422);
      expect(deep.body.error.message).toMatch(/documents\[0\] nests deeper than 32 levels/);
      const fine = { text: 'Paris is the capital of France.', meta: nested(20) };
      const ok = await t.post(url, { query: 'capital', return_documents: true, documents: [fine] });
      expect(ok.status, url).toBe(200);
      expect(ok.body.results[0].document).toEqual(fine);
    }
    // Deep but unread (an extra field nobody echoes) is harmless.
    expect((await t.post('/v2/rerank', `{"query":"capital","documents":["Paris"],"extra":${nestedJson(5000)}}`)).status).toBe(200);
  });

  it('metadata: refused past the store\'s depth on upsert (JSON and NDJSON); what is stored comes back from /search and GET', async () => {
    const deep = await t.post('/collections/odd/documents', `{"documents":[{"id":"deep","text":"x","metadata":${nestedJson(5000)}}]}`);
    expect(deep.status).toBe(422);
    const ndjson = await t.app.inject({ method: 'POST', url: '/collections/odd/documents', headers: { 'content-type': 'application/x-ndjson' }, payload: `{"id":"deep","text":"x","metadata":${nestedJson(5000)}}\n` });
    expect(ndjson.statusCode).toBe(422);
    const metadata = nested(30) as Record<string, unknown>;
    expect((await t.post('/collections/odd/documents', { documents: [{ id: 'nested', text: 'Paris is the capital of France.', metadata }] })).status).toBe(200);
    const search = await t.post('/search', { collection: 'odd', query: 'capital of france', mode: 'lexical' });
    expect(search.status).toBe(200);
    expect(search.body.results[0].document.metadata).toEqual(metadata);
    const got = await t.app.inject({ method: 'GET', url: '/collections/odd/documents/nested' });
    expect(got.statusCode).toBe(200);
    expect(got.json().metadata).toEqual(metadata);
  });
});

describe('odd text (issue 11)', () => {
  const odd = ['\ud800 lone high', 'lone low \udc00 inside', 'nul \u0000 byte', 'x'.repeat(50_000), '\u{1F4A5}\u200d'.repeat(2000), '\uffff\ufffe'];

  it('rerank, embeddings and search take lone surrogates, NUL and very long tokens: 200', async () => {
    for (const url of ['/rerank', '/v1/rerank', '/v2/rerank']) {
      const res = await t.post(url, { query: '\udc00 what \u0000', documents: odd });
      expect(res.status, url).toBe(200);
      expect(res.body.results).toHaveLength(odd.length);
    }
    const tei = await t.post('/rerank', { query: '\ud800', texts: odd, return_text: true });
    expect(tei.status).toBe(200);
    expect(tei.body.map((r: { text: string }) => r.text).sort()).toEqual([...odd].sort());
    expect((await t.post('/v1/embeddings', { input: odd })).status).toBe(200);
    expect((await t.post('/embed', { inputs: odd })).status).toBe(200);
    for (const query of odd) {
      const res = await t.post('/search', { collection: 'odd', query });
      // PostgreSQL text cannot hold NUL: the query that would reach the store is refused, clearly.
      if (query.includes('\u0000')) {
        expect(res.status).toBe(422);
        expect(res.body.error.message).toMatch(/NUL/);
      } else expect(res.status, JSON.stringify(query.slice(0, 20))).toBe(200);
    }
  });

  it('stores what PostgreSQL can hold, and refuses NUL with a clear 422', async () => {
    const ok = await t.post('/collections/odd/documents', { documents: [{ id: 'long', text: 'y'.repeat(50_000) }, { id: 'emoji', text: '\u{1F4A5}\u200d'.repeat(2000) }] });
    expect(ok.status).toBe(200);
    for (const doc of [
      { id: 'nul', text: 'a\u0000b' },
      { id: 'nul-meta', text: 'a', metadata: { k: 'a\u0000b' } },
    ]) {
      const res = await t.post('/collections/odd/documents', { documents: [doc] });
      expect(res.status, doc.id).toBe(422);
      expect(res.body.error.message).toMatch(/NUL/);
    }
    // Text is stored as UTF-8, a lone surrogate becoming U+FFFD; in an id or metadata it is refused (jsonb cannot hold it).
    expect((await t.post('/collections/odd/documents', { documents: [{ id: 'surrogate-text', text: 'a \ud800 b' }] })).status).toBe(200);
    for (const doc of [
      { id: 'surrogate-meta', text: 'a', metadata: { k: 'a \udc00 b' } },
      { id: 'surrogate-key', text: 'a', metadata: { 'k\ud800': 1 } },
      { id: 'id \ud800', text: 'a' },
    ]) {
      const res = await t.post('/collections/odd/documents', { documents: [doc] });
      expect(res.status, doc.id).toBe(422);
      expect(res.body.error.message).toMatch(/lone UTF-16 surrogate/);
    }
    const filter = await t.post('/search', { collection: 'odd', query: 'y', filter: { k: 'a \udc00' } });
    expect(filter.status).toBe(422);
    expect(filter.body.error.code).toBe('INVALID_FILTER');
    // Whatever went in, the collection still answers.
    expect((await t.post('/search', { collection: 'odd', query: 'y' })).status).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/collections/odd' })).statusCode).toBe(200);
  });
});
