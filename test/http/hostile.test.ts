import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponse, rawClient } from '../support/raw-http.js';
import { searchApp, type SearchApp } from '../support/search-app.js';
import { deep, deepFilter, many, probe, RERANK, wrongAnswer, type Case } from '../support/hostile-cases.js';

/**
 * Issue 11, "done when": hostile input on every route. Invalid requests get a 4xx in the route's error
 * shape, valid odd ones a 2xx; never a 5xx, a dropped connection or a crash; and a valid request right
 * after each one is answered correctly. The app is real (forged reranker and embedder, embedded store)
 * and listens on port 0, so the cases that concern the transport go over a real socket.
 */
let t: SearchApp;
let url: string;
let baseline: { index: number; relevance_score: number }[];

beforeAll(async () => {
  t = await searchApp('pglite', { workers: '1', maxDocuments: '1000' });
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  expect((await t.put('/collections/hostile')).status).toBe(200);
  const docs = [
    { id: '1', text: 'Paris is the capital of France.', metadata: { price: 10, lang: 'en', tags: ['a'] } },
    { id: '2', text: 'Bananas are yellow.', metadata: { price: 20, lang: 'en' } },
    { id: "x'; DROP TABLE rr_collections; --", text: 'The Seine flows through Paris.', metadata: { price: 30 } },
    { id: 'L'.repeat(1000), text: 'A document with a long id.', metadata: {} },
  ];
  expect((await t.post('/collections/hostile/documents', { documents: docs })).status).toBe(200);
  baseline = (await t.post('/v2/rerank', probe)).body.results;
});
afterAll(async () => t?.close());

const EMBEDDINGS: Case[] = [
  { name: 'input is a number', method: 'POST', url: '/v1/embeddings', body: { input: 5 }, expect: 400 },
  { name: 'input is empty', method: 'POST', url: '/v1/embeddings', body: { input: [] }, expect: 400 },
  { name: 'a null input', method: 'POST', url: '/v1/embeddings', body: { input: [null] }, expect: 400 },
  { name: 'dimensions 0', method: 'POST', url: '/v1/embeddings', body: { input: 'a', dimensions: 0 }, expect: 422 },
  { name: 'dimensions past the model', method: 'POST', url: '/v1/embeddings', body: { input: 'a', dimensions: 1e9 }, expect: 422 },
  { name: 'an unknown encoding', method: 'POST', url: '/v1/embeddings', body: { input: 'a', encoding_format: 'hex' }, expect: '4xx' },
  { name: 'lone surrogates and NUL', method: 'POST', url: '/v1/embeddings', body: { input: ['\ud800', 'a\u0000b'] }, expect: 200 },
  { name: '10,001 inputs', method: 'POST', url: '/v1/embeddings', body: { input: many(10_001, () => 'a') }, expect: 400 },
  { name: 'TEI: inputs is an object', method: 'POST', url: '/embed', body: { inputs: {} }, expect: 400 },
  { name: 'TEI: normalize is a string', method: 'POST', url: '/embed', body: { inputs: 'a', normalize: 'true' }, expect: 400 },
  { name: 'TEI: too long with truncate false', method: 'POST', url: '/embed', body: { inputs: 'word '.repeat(2000), truncate: false }, expect: 413 },
  { name: 'TEI: malformed JSON', method: 'POST', url: '/embed', raw: '{"inputs": [', expect: 400 },
];

const SEARCH: Case[] = [
  { name: 'an SQL-looking collection name', method: 'POST', url: '/search', body: { collection: "x'; DROP TABLE rr_collections; --", query: 'q' }, expect: 400 },
  { name: 'an unknown collection', method: 'POST', url: '/search', body: { collection: 'nope', query: 'q' }, expect: 404 },
  { name: 'an unknown filter operator', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'paris', filter: { price: { $where: '1=1' } } }, expect: 422 },
  { name: 'an SQL-looking filter field', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'paris', filter: { "a'; DROP TABLE rr_collections; --": 1 } }, expect: 200 },
  { name: 'a filter nested 50 deep', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'paris', filter: deepFilter(50) }, expect: 422 },
  { name: 'a filter 5,000 levels deep', method: 'POST', url: '/search', raw: `{"collection":"hostile","query":"paris","filter":${'{"$and":['.repeat(5000)}{"a":1}${']}'.repeat(5000)}}`, expect: 422 },
  { name: 'a range on a string', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'paris', filter: { price: { $gt: '10' } } }, expect: 200 },
  { name: 'an empty $or', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'paris', filter: { $or: [] } }, expect: 422 },
  { name: '1,000 conditions', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'paris', filter: { $or: many(1000, (i) => ({ price: i })) } }, expect: 422 },
  { name: 'a billion candidates', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'q', candidates: 1e9 }, expect: 422 },
  { name: 'top_n over candidates', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'q', candidates: 5, top_n: 6 }, expect: 422 },
  { name: 'ef_search under candidates', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'q', candidates: 100, ef_search: 99 }, expect: 422 },
  { name: 'ef_search over 1000', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'q', ef_search: 100_000 }, expect: 422 },
  { name: 'a vector of the wrong dimension', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'q', vector: [1, 2, 3] }, expect: 422 },
  { name: 'a vector of enormous numbers', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'q', vector: many(32, () => 1e308) }, expect: 422 },
  { name: 'a negative weight', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'q', weights: { vector: -1 } }, expect: 422 },
  { name: 'a negative rrf_k', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'q', rrf_k: -1 }, expect: 422 },
  { name: 'an unknown mode', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'q', mode: 'both' }, expect: '4xx' },
  { name: 'a NUL in the query', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'paris\u0000' }, expect: 422 },
  { name: 'lone surrogates in the query', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'paris \ud800' }, expect: 200 },
  { name: 'a lone surrogate in a filter', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'paris', filter: { lang: '\udc00' } }, expect: 422 },
  { name: 'a 200,000-character query', method: 'POST', url: '/search', body: { collection: 'hostile', query: 'q'.repeat(200_000) }, expect: 422 },
];

const COLLECTIONS: Case[] = [
  { name: 'PUT: a 64-character name', method: 'PUT', url: `/collections/${'a'.repeat(64)}`, expect: 400 },
  { name: 'PUT: an SQL-looking name', method: 'PUT', url: `/collections/${encodeURIComponent("x'; DROP TABLE rr_collections; --")}`, expect: 400 },
  { name: 'PUT: an unknown distance', method: 'PUT', url: '/collections/odd-distance', body: { distance: 'manhattan' }, expect: '4xx' },
  { name: 'PUT: an enormous hnsw.m', method: 'PUT', url: '/collections/odd-hnsw', body: { hnsw: { m: 1e9 } }, expect: 422 },
  { name: 'PUT: negative dimensions', method: 'PUT', url: '/collections/odd-dims', body: { dimensions: -3 }, expect: 422 },
  { name: 'PUT: an attached table on the embedded store', method: 'PUT', url: '/collections/odd-source', body: { source: { table: 'x; DROP TABLE y', id_column: 'id', text_column: 't', vector_column: 'v' } }, expect: '4xx' },
  { name: 'PUT: a null body (the defaults)', method: 'PUT', url: '/collections/odd-null', raw: 'null', expect: 200 },
  { name: 'PUT: an array body', method: 'PUT', url: '/collections/odd-array', raw: '[]', expect: 400 },
  // Issue 24: our own bodies refuse an unknown property with 422 naming it.
  { name: 'PUT: unknown settings', method: 'PUT', url: '/collections/odd-extra', body: { shards: 3 }, expect: 422 },
  { name: 'GET: a NUL name', method: 'GET', url: '/collections/%00', expect: 400 },
  { name: 'GET: a path traversal', method: 'GET', url: '/collections/..%2F..%2Fetc%2Fpasswd', expect: '4xx' },
  { name: 'GET: an unknown collection', method: 'GET', url: '/collections/nope', expect: 404 },
  { name: 'DELETE: an unknown collection', method: 'DELETE', url: '/collections/nope', expect: 404 },
  { name: 'POST docs: an empty id', method: 'POST', url: '/collections/hostile/documents', body: { documents: [{ id: '', text: 'x' }] }, expect: 400 },
  { name: 'POST docs: a number text', method: 'POST', url: '/collections/hostile/documents', body: { documents: [{ id: 'a', text: 5 }] }, expect: 400 },
  { name: 'POST docs: a __proto__ in metadata', method: 'POST', url: '/collections/hostile/documents', raw: '{"documents":[{"id":"a","text":"x","metadata":{"__proto__":{"polluted":1}}}]}', expect: 400 },
  { name: 'POST docs: a vector of the wrong dimension', method: 'POST', url: '/collections/hostile/documents', body: { documents: [{ id: 'a', text: 'x', vector: [1, 2] }] }, expect: 422 },
  { name: 'POST docs: 1,001 documents', method: 'POST', url: '/collections/hostile/documents', body: { documents: many(1001, (i) => ({ id: `d${i}`, text: 'x' })) }, expect: 400 },
  { name: 'POST docs: NUL in metadata', method: 'POST', url: '/collections/hostile/documents', body: { documents: [{ id: 'a', text: 'x', metadata: { k: 'a\u0000' } }] }, expect: 422 },
  { name: 'POST docs: an enormous number in metadata', method: 'POST', url: '/collections/hostile/documents', body: { documents: [{ id: 'big', text: 'big number', metadata: { n: 1e308 } }] }, expect: 200 },
  { name: 'POST docs: metadata 5,000 levels deep', method: 'POST', url: '/collections/hostile/documents', raw: `{"documents":[{"id":"a","text":"x","metadata":${deep(5000)}}]}`, expect: 422 },
  { name: 'POST docs: NDJSON garbage', method: 'POST', url: '/collections/hostile/documents', raw: 'not json\n{"id":1}\n', headers: { 'content-type': 'application/x-ndjson' }, expect: 400 },
  { name: 'POST docs: NDJSON with a bad document', method: 'POST', url: '/collections/hostile/documents', raw: '{"id":"n1","text":"ok"}\n{"id":"n2"}\n', headers: { 'content-type': 'application/x-ndjson' }, expect: 422 },
  { name: 'POST docs: NDJSON to a JSON route', method: 'POST', url: '/v2/rerank', raw: '{"query":"q"}\n', headers: { 'content-type': 'application/x-ndjson' }, expect: 415 },
  { name: 'DELETE docs: no ids', method: 'DELETE', url: '/collections/hostile/documents', body: { ids: [] }, expect: 400 },
  { name: 'DELETE docs: 10,001 ids', method: 'DELETE', url: '/collections/hostile/documents', body: { ids: many(10_001, (i) => `x${i}`) }, expect: 400 },
  // Issue 24: whole numbers are ids (their decimal string); other numbers are not.
  { name: 'DELETE docs: a number id', method: 'DELETE', url: '/collections/hostile/documents', body: { ids: [987_654_321] }, expect: 200 },
  { name: 'DELETE docs: a negative number id', method: 'DELETE', url: '/collections/hostile/documents', body: { ids: [-1] }, expect: 400 },
  { name: 'DELETE docs: a fractional id', method: 'DELETE', url: '/collections/hostile/documents', body: { ids: [1.5] }, expect: 400 },
  { name: 'DELETE docs: an SQL-looking id', method: 'DELETE', url: '/collections/hostile/documents', body: { ids: ["nothing'; DROP TABLE rr_collections; --"] }, expect: 200 },
  { name: 'GET doc: a 2,000-character id', method: 'GET', url: `/collections/hostile/documents/${'i'.repeat(2000)}`, expect: 400 },
  { name: 'GET doc: a 5,000-character id', method: 'GET', url: `/collections/hostile/documents/${'i'.repeat(5000)}`, expect: 400 },
  { name: 'GET doc: a stored 1,000-character id', method: 'GET', url: `/collections/hostile/documents/${'L'.repeat(1000)}`, expect: 200 },
  { name: 'GET doc: a bad percent-encoding', method: 'GET', url: '/collections/hostile/documents/%E0%A4%A', expect: 400 },
  { name: 'GET doc: an id that is not UTF-8', method: 'GET', url: '/collections/hostile/documents/%ED%A0%80', expect: '4xx' },
  { name: 'GET doc: a NUL id', method: 'GET', url: '/collections/hostile/documents/a%00b', expect: 422 },
  { name: 'GET doc: an unknown id', method: 'GET', url: '/collections/hostile/documents/nope', expect: 404 },
  { name: 'GET doc: the SQL-looking id, stored literally', method: 'GET', url: `/collections/hostile/documents/${encodeURIComponent("x'; DROP TABLE rr_collections; --")}`, expect: 200 },
  // Issue 24: the document operations.
  { name: 'scroll: a limit that is not a number', method: 'GET', url: '/collections/hostile/documents?limit=abc', expect: 422 },
  { name: 'scroll: a limit of a million', method: 'GET', url: '/collections/hostile/documents?limit=1000000', expect: 422 },
  { name: 'scroll: a cursor with a NUL', method: 'GET', url: '/collections/hostile/documents?cursor=%00', expect: 422 },
  { name: 'scroll: an array filter', method: 'GET', url: `/collections/hostile/documents?filter=${encodeURIComponent('[1]')}`, expect: 422 },
  { name: 'scroll: an SQL-looking filter field', method: 'GET', url: `/collections/hostile/documents?filter=${encodeURIComponent(JSON.stringify({ "x'); DROP TABLE rr_collections; --": 1 }))}`, expect: 200 },
  { name: 'scroll: a 70,000-character filter', method: 'GET', url: `/collections/hostile/documents?filter=${'x'.repeat(70_000)}`, expect: '4xx' },
  { name: 'scroll: an unknown query parameter', method: 'GET', url: '/collections/hostile/documents?offset=3', expect: 422 },
  { name: 'get many: no ids', method: 'POST', url: '/collections/hostile/documents/get', body: { ids: [] }, expect: 400 },
  { name: 'get many: 1,001 ids', method: 'POST', url: '/collections/hostile/documents/get', body: { ids: many(1001, (i) => `x${i}`) }, expect: 400 },
  { name: 'get many: a NUL id', method: 'POST', url: '/collections/hostile/documents/get', body: { ids: ['a\u0000b'] }, expect: 422 },
  { name: 'get many: the SQL-looking id', method: 'POST', url: '/collections/hostile/documents/get', body: { ids: ["x'; DROP TABLE rr_collections; --"] }, expect: 200 },
  { name: 'count: an unknown operator', method: 'POST', url: '/collections/hostile/count', body: { filter: { price: { $near: 1 } } }, expect: 422 },
  { name: 'count: a filter that is a string', method: 'POST', url: '/collections/hostile/count', body: { filter: 'price > 1' }, expect: 400 },
  { name: 'count: an unknown collection', method: 'POST', url: '/collections/nowhere/count', body: {}, expect: 404 },
  { name: 'delete by filter: an empty filter', method: 'POST', url: '/collections/hostile/documents/delete', body: { filter: {} }, expect: 422 },
  { name: 'delete by filter: no filter', method: 'POST', url: '/collections/hostile/documents/delete', body: {}, expect: 400 },
  { name: 'delete by filter: an SQL-looking field that matches nothing', method: 'POST', url: '/collections/hostile/documents/delete', body: { filter: { "x'; DELETE FROM rr_collections; --": 1 } }, expect: 200 },
  { name: 'patch: metadata that is an array', method: 'PATCH', url: '/collections/hostile/documents/a', body: { metadata: [1] }, expect: 400 },
  { name: 'patch: a NUL in metadata', method: 'PATCH', url: '/collections/hostile/documents/a', body: { metadata: { k: 'a\u0000' } }, expect: 422 },
  { name: 'patch: an unknown mode', method: 'PATCH', url: '/collections/hostile/documents/a', body: { metadata: {}, mode: 'upsert' }, expect: 422 },
  { name: 'patch: an unknown document', method: 'PATCH', url: '/collections/hostile/documents/nope', body: { metadata: { k: 1 } }, expect: 404 },
];

const OPERATIONS: Case[] = [
  { name: '/tokenize: no inputs', method: 'POST', url: '/tokenize', body: { inputs: [] }, expect: 400 },
  { name: '/tokenize: 10,001 inputs', method: 'POST', url: '/tokenize', body: { inputs: many(10_001, () => 'x') }, expect: '4xx' },
  { name: '/tokenize: a NUL and lone surrogates', method: 'POST', url: '/tokenize', body: { inputs: ['a\u0000b', '\ud800 x \udc00'] }, expect: 200 },
  { name: '/tokenize: a 200,000-character input', method: 'POST', url: '/tokenize', body: { inputs: 'q'.repeat(200_000) }, expect: 413 },
  { name: '/tokenize: inputs of the wrong type', method: 'POST', url: '/tokenize', body: { inputs: 7 }, expect: 400 },
  { name: '/info with a NUL query string', method: 'GET', url: '/info?x=%00', expect: 200 },
  // Issue 24: a known path asked with another method is 405 with Allow.
  { name: 'POST /info', method: 'POST', url: '/info', body: {}, expect: 405 },
  { name: 'HEAD /health', method: 'HEAD', url: '/health', expect: 200 },
  { name: '/health with a body', method: 'GET', url: '/health', raw: '{"a":1}', expect: 200 },
  { name: '/metrics with an array query', method: 'GET', url: '/metrics?name[]=x&name[]=y', expect: 200 },
  { name: 'POST /metrics', method: 'POST', url: '/metrics', body: {}, expect: 405 },
  { name: 'an unknown route', method: 'GET', url: '/../../etc/passwd', expect: 404 },
];

async function send(c: Case): Promise<{ status: number; body: string; contentType: string }> {
  const payload = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
  const res = await t.app.inject({
    method: c.method,
    url: c.url,
    headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...c.headers },
    ...(payload === undefined ? {} : { payload }),
  });
  return { status: res.statusCode, body: res.body, contentType: String(res.headers['content-type'] ?? '') };
}

/** A valid request, answered as before: the service is unharmed. Undefined when it is, else what went wrong. */
async function unharmed(after: string): Promise<string | undefined> {
  const res = await t.post('/v2/rerank', probe);
  if (res.status !== 200 || JSON.stringify(res.body.results) !== JSON.stringify(baseline)) return `the request after "${after}" answered ${res.status}`;
  return undefined;
}

async function expectHealthy(after: string): Promise<void> {
  expect(await unharmed(after)).toBeUndefined();
}

describe('hostile input on every route (issue 11)', () => {
  const all = [...RERANK, ...EMBEDDINGS, ...SEARCH, ...COLLECTIONS, ...OPERATIONS];

  it('has at least 50 cases, on every route', () => {
    expect(all.length).toBeGreaterThanOrEqual(50);
    const routes = new Set(all.map((c) => `${c.method} ${c.url.replace(/\/collections\/[^/?]+/, '/collections/:name').replace(/\/documents\/(?!get$|delete$)[^?]+$/, '/documents/:id').split('?')[0]}`));
    for (const route of ['POST /rerank', 'POST /v1/rerank', 'POST /v2/rerank', 'POST /v1/embeddings', 'POST /embed', 'POST /search', 'PUT /collections/:name', 'GET /collections/:name', 'DELETE /collections/:name', 'POST /collections/:name/documents', 'DELETE /collections/:name/documents', 'GET /collections/:name/documents/:id', 'GET /collections/:name/documents', 'POST /collections/:name/documents/get', 'POST /collections/:name/count', 'POST /collections/:name/documents/delete', 'PATCH /collections/:name/documents/:id', 'POST /tokenize', 'GET /info', 'GET /health', 'GET /metrics']) {
      expect(routes, route).toContain(route);
    }
  });

  for (const [family, cases] of [
    ['rerank', RERANK],
    ['embeddings', EMBEDDINGS],
    ['search', SEARCH],
    ['collections', COLLECTIONS],
    ['operations', OPERATIONS],
  ] as const) {
    it(`${family}: ${cases.length} cases, each a clear 4xx or a 2xx, and the service unharmed after each`, async () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const problem = wrongAnswer(c, await send(c));
        if (problem !== undefined) wrong.push(problem);
        const harm = await unharmed(c.name);
        if (harm !== undefined) wrong.push(harm);
      }
      expect(wrong).toEqual([]);
    });
  }

  it('the collections, their documents and their search survive it all', async () => {
    const coll = await t.app.inject({ method: 'GET', url: '/collections/hostile' });
    expect(coll.statusCode).toBe(200);
    expect(coll.json().documents).toBeGreaterThanOrEqual(3);
    const found = await t.post('/search', { collection: 'hostile', query: 'capital of france', filter: { price: 10 } });
    expect(found.status).toBe(200);
    expect(found.body.results[0].id).toBe('1');
  });
});

describe('hostile bytes on a real socket (issue 11)', () => {
  const rawCases: { name: string; bytes: string; status: number }[] = [
    { name: 'garbage instead of HTTP', bytes: 'GARBAGE\r\n\r\n', status: 400 },
    { name: 'a 40 KB header', bytes: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`, status: 431 },
    { name: 'a Content-Length that is not a number', bytes: 'POST /v2/rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}', status: 400 },
    { name: 'two different Content-Lengths', bytes: 'POST /v2/rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', status: 400 },
    { name: 'a NUL in the request line', bytes: 'GET /hea\u0000lth HTTP/1.1\r\nHost: x\r\n\r\n', status: 400 },
  ];

  for (const c of rawCases) {
    it(`${c.name}: ${c.status} in the error shape, the connection closed, the service unharmed`, async () => {
      const client = await rawClient(url);
      client.socket.write(c.bytes, 'latin1');
      const ex = await client.done(5000);
      const res = parseResponse(ex.received);
      expect(res.status).toBe(c.status);
      expect(Object.keys(res.body as object).sort()).toEqual(['detail', 'error', 'message']);
      expect(ex.closed).toBe(true);
      await expectHealthy(c.name);
    });
  }

  it('a body shorter than its Content-Length, then a hang-up: no crash, no leak', async () => {
    const client = await rawClient(url);
    client.socket.write('POST /v2/rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":"q"');
    await new Promise((r) => setTimeout(r, 100));
    client.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    await expectHealthy('a short body');
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^reranker_requests_in_flight 1$/m);
  });
});
