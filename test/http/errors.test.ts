import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../support/test-app.js';
import { injector } from '../helpers/inject.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ maxDocuments: '5', maxDocumentChars: '200', maxBodyBytes: '4096', servedModelName: 'forged-tiny', strictModelName: 'true' });
});
afterAll(async () => t.close());

const { post } = injector(() => t.app);

function expectError(res: { status: number; body: unknown }, status: number, code: string, message?: RegExp) {
  expect(res.status).toBe(status);
  const body = res.body as { error: { code: string; message: string }; message: string; detail: string };
  expect(Object.keys(body).sort()).toEqual(['detail', 'error', 'message']);
  expect(body.error.code).toBe(code);
  expect(body.message).toBe(body.error.message);
  expect(body.detail).toBe(body.error.message);
  if (message !== undefined) expect(body.error.message).toMatch(message);
}

describe('error answers', () => {
  it('400 INVALID_REQUEST for malformed JSON', async () => {
    expectError(await post('/v2/rerank', '{"query": "x", "documents": ['), 400, 'INVALID_REQUEST', /not valid JSON/);
  });

  it('400 INVALID_REQUEST for a missing or mistyped field, naming it', async () => {
    expectError(await post('/v2/rerank', JSON.stringify({ documents: ['a'] })), 400, 'INVALID_REQUEST', /query/);
    expectError(await post('/v2/rerank', JSON.stringify({ query: 'q', documents: 'a' })), 400, 'INVALID_REQUEST', /documents/);
    expectError(await post('/v2/rerank', JSON.stringify({ query: 'q', documents: ['a'], top_n: '2' })), 400, 'INVALID_REQUEST', /top_n/);
  });

  it('400 for an empty query or document list', async () => {
    expectError(await post('/v2/rerank', JSON.stringify({ query: ' ', documents: ['a'] })), 400, 'EMPTY_QUERY');
    expectError(await post('/v2/rerank', JSON.stringify({ query: 'q', documents: [] })), 400, 'EMPTY_DOCUMENTS');
  });

  it('413 over the document count, document size and body size limits', async () => {
    expectError(await post('/v2/rerank', JSON.stringify({ query: 'q', documents: ['a', 'b', 'c', 'd', 'e', 'f'] })), 413, 'TOO_MANY_DOCUMENTS', /limit of 5/);
    expectError(await post('/v2/rerank', JSON.stringify({ query: 'q', documents: ['x'.repeat(201)] })), 413, 'DOCUMENT_TOO_LONG', /documents\[0\]/);
    expectError(await post('/v2/rerank', JSON.stringify({ query: 'q', documents: ['x'.repeat(5000)] })), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('422 for semantically wrong values', async () => {
    expectError(await post('/v2/rerank', JSON.stringify({ query: 'q', documents: ['a'], top_n: 0 })), 422, 'INVALID_ARGUMENT', /top_n/);
    expectError(await post('/v2/rerank', JSON.stringify({ query: 'q', documents: ['a'], max_tokens_per_doc: 0 })), 422, 'INVALID_ARGUMENT');
    expectError(await post('/v2/rerank', JSON.stringify({ query: 'q', documents: [{ title: 't' }] })), 422, 'INVALID_ARGUMENT', /text/);
    expectError(await post('/v2/rerank', JSON.stringify({ query: 'q', documents: [{ title: 't' }], rank_fields: ['body'] })), 422, 'INVALID_ARGUMENT', /rank_fields/);
  });

  it('422 UNKNOWN_MODEL for another model name when strict', async () => {
    expectError(await post('/v2/rerank', JSON.stringify({ model: 'rerank-v3.5', query: 'q', documents: ['a'] })), 422, 'UNKNOWN_MODEL', /forged-tiny/);
    expect((await post('/v2/rerank', JSON.stringify({ model: 'forged-tiny', query: 'q', documents: ['a'] }))).status).toBe(200);
  });

  it('415 for a body that is not JSON', async () => {
    expectError(await post('/v2/rerank', 'query=q', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('404 NOT_FOUND for unknown routes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope' });
    expectError({ status: res.statusCode, body: res.json() }, 404, 'NOT_FOUND');
  });

  it('answers TEI-shaped requests with TEI-shaped errors', async () => {
    const res = await post('/rerank', JSON.stringify({ query: 'q', texts: [] }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'documents must not be empty.', error_type: 'Empty' });
    const bad = await post('/rerank', JSON.stringify({ query: 'q', texts: [1] }));
    expect(bad.status).toBe(400);
    expect(bad.body.error_type).toBe('Validation');
    expect(bad.body.error).toMatch(/texts/);
  });

  it('504 DEADLINE_EXCEEDED when the x-request-timeout-ms deadline passes, 400 for a malformed one', async () => {
    const documents = Array.from({ length: 5 }, (_, i) => `document ${i} ${'long text '.repeat(15)}`);
    const late = await post('/v2/rerank', JSON.stringify({ model: 'forged-tiny', query: 'q', documents }), { 'x-request-timeout-ms': '1', 'cache-control': 'no-store' });
    expectError(late, 504, 'DEADLINE_EXCEEDED', /1 ms/);
    expectError(await post('/v2/rerank', JSON.stringify({ model: 'forged-tiny', query: 'q', documents }), { 'x-request-timeout-ms': 'soon' }), 400, 'INVALID_REQUEST', /x-request-timeout-ms/);
  });

  it('keeps serving after bad requests', async () => {
    const res = await post('/v2/rerank', JSON.stringify({ model: 'forged-tiny', query: 'q', documents: ['a', 'b'] }));
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(2);
  });
});

describe('before the model is ready', () => {
  it('answers 503 NOT_READY with Retry-After, and /health 503', async () => {
    const cold = await testApp({}, {}, false);
    try {
      const res = await cold.app.inject({ method: 'POST', url: '/v2/rerank', payload: { query: 'q', documents: ['a'] } });
      expectError({ status: res.statusCode, body: res.json() }, 503, 'NOT_READY');
      expect(res.headers['retry-after']).toBe('1');
      const health = await cold.app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toEqual({ status: 'loading' });
      await cold.service.start();
      expect((await cold.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
    } finally {
      await cold.close();
    }
  });
});
