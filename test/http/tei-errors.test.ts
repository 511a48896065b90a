import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchApp, type SearchApp } from '../support/search-app.js';
import { inject } from '../helpers/inject.js';

/**
 * Issue 11, items 8 and 9: /info shows no host paths and no keys; TEI's routes answer in TEI's error
 * shape where the route alone says the client is TEI's (/embed), and /rerank where the body says so.
 */
const KEY = 'tei-errors-key';
let t: SearchApp;
beforeAll(async () => {
  t = await searchApp('pglite', { workers: '1', maxBodyBytes: '4096', adminApiKey: KEY });
});
afterAll(async () => t?.close());

const send = (method: 'GET' | 'POST', url: string, payload?: string, contentType = 'application/json') => inject(t.app, method, url, payload, { ...(payload === undefined ? {} : { 'content-type': contentType }) });

const tei = (res: { body: Record<string, unknown> }): void => {
  expect(Object.keys(res.body).sort()).toEqual(['error', 'error_type']);
  expect(typeof res.body['error']).toBe('string');
};
const common = (res: { body: Record<string, unknown> }): void => expect(Object.keys(res.body).sort()).toEqual(['detail', 'error', 'message']);

describe('TEI error shape (issue 11)', () => {
  it('/embed answers every error in TEI\'s shape, whatever the body', async () => {
    const cases: [number, Awaited<ReturnType<typeof send>>][] = [
      [400, await send('POST', '/embed', '{"inputs": [')],
      [400, await send('POST', '/embed', '')],
      [400, await send('POST', '/embed', '{"inputs": 7}')],
      [400, await send('POST', '/embed', '{"inputs": []}')],
      [413, await send('POST', '/embed', JSON.stringify({ inputs: 'x'.repeat(5000) }))],
      [415, await send('POST', '/embed', 'inputs=x', 'text/plain')],
      // Issue 24: /embed exists for POST, so GET is 405 (with Allow), still in TEI's shape.
      [405, await send('GET', '/embed')],
    ];
    for (const [status, res] of cases) {
      expect(res.status).toBe(status);
      tei(res);
    }
    expect(cases[3]?.[1].body['error_type']).toBe('Empty');
  });

  it('/rerank answers in TEI\'s shape when the body carries texts, in the common shape otherwise', async () => {
    const teiBody = await send('POST', '/rerank', JSON.stringify({ query: 'q', texts: [1] }));
    expect(teiBody.status).toBe(400);
    tei(teiBody);
    const empty = await send('POST', '/rerank', JSON.stringify({ query: 'q', texts: [] }));
    expect(empty.body).toEqual({ error: 'documents must not be empty.', error_type: 'Empty' });
    const jina = await send('POST', '/rerank', JSON.stringify({ query: 'q', documents: [] }));
    expect(jina.status).toBe(400);
    common(jina);
    // Nothing says which client sent a body that cannot be parsed: the common shape.
    const broken = await send('POST', '/rerank', '{"query": "q", "texts": [');
    expect(broken.status).toBe(400);
    common(broken);
  });

  it('/v1/embeddings is OpenAI\'s route: the common shape', async () => {
    const res = await send('POST', '/v1/embeddings', '{"input": [');
    expect(res.status).toBe(400);
    common(res);
  });
});

describe('/info (issue 11)', () => {
  it('shows no absolute path and no key, for the reranker, the embedder and the store', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/info' });
    expect(res.statusCode).toBe(200);
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
    };
    const info = res.json();
    walk(info);
    expect(info.embedding_model).not.toBeNull();
    expect(strings.length).toBeGreaterThan(5);
    for (const s of strings) {
      expect(s.startsWith('/'), s).toBe(false);
      expect(s, s).not.toContain(tmpdir());
      expect(s, s).not.toContain(t.modelDir);
      expect(s, s).not.toContain(t.config.store.dataDir);
      expect(s, s).not.toContain(KEY);
    }
    expect(info.onnx_file).toBe('onnx/model.onnx');
    expect(info.embedding_model.onnx_file).toBe('onnx/model.onnx');
  });
});
