import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { buildConfig } from '../../src/config.js';
import { Service } from '../../src/service.js';
import { inject } from '../helpers/inject.js';
import { forgedModel } from '../support/forged-model.js';
import { searchApp, type SearchApp } from '../support/search-app.js';

/**
 * Issue 24, item 5: errors a person can act on. Enum failures list the allowed values, path
 * parameters are named as such, unknown properties are named (and refused on our own API's bodies
 * while the Cohere/Jina/TEI/OpenAI-shaped routes stay lenient), a known path asked with another
 * method is 405 with Allow, and a loading service's /health 503 is not an error in the log.
 */
const common = (code: string, message: string) => ({ error: { code, message }, message, detail: message });

describe('errors a person can act on (issue 24)', () => {
  let t: SearchApp;
  beforeAll(async () => {
    t = await searchApp('pglite', { workers: '1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('an enum failure lists the allowed values, once', async () => {
    const search = await inject(t.app, 'POST', '/search', { collection: 'docs', query: 'q', mode: 'semantic' });
    expect(search.status).toBe(422);
    expect(search.body).toEqual(common('INVALID_ARGUMENT', 'body.mode must be one of "hybrid", "vector", "lexical"'));
    const embeddings = await inject(t.app, 'POST', '/v1/embeddings', { input: 'q', encoding_format: 'hex' });
    expect(embeddings.status).toBe(422);
    expect(embeddings.body).toEqual(common('INVALID_ARGUMENT', 'body.encoding_format must be one of "float", "base64"'));
    const collection = await inject(t.app, 'PUT', '/collections/docs', { distance: 'manhattan' });
    expect(collection.status).toBe(422);
    expect(collection.body).toEqual(common('INVALID_ARGUMENT', 'body.distance must be one of "cosine", "l2", "ip"'));
  });

  it('a bad path parameter is reported as path.<name>, not as a body field', async () => {
    const res = await inject(t.app, 'PUT', '/collections/My-Docs', {});
    expect(res.status).toBe(400);
    expect(res.body).toEqual(common('INVALID_REQUEST', 'path.name must match pattern "^[a-z0-9_-]{1,63}$"'));
  });

  it('our own bodies refuse an unknown property with 422 naming it', async () => {
    const search = await inject(t.app, 'POST', '/search', { collection: 'docs', query: 'q', topN: 3 });
    expect(search.status).toBe(422);
    expect(search.body).toEqual(common('INVALID_ARGUMENT', 'body has an unknown property "topN"'));
    const upsert = await inject(t.app, 'POST', '/collections/docs/documents', { documents: [], retrun_documents: true });
    expect(upsert.status).toBe(422);
    expect(upsert.body).toEqual(common('INVALID_ARGUMENT', 'body has an unknown property "retrun_documents"'));
    const nested = await inject(t.app, 'PUT', '/collections/docs', { hnsw: { m: 16, ef: 64 } });
    expect(nested.status).toBe(422);
    expect(nested.body).toEqual(common('INVALID_ARGUMENT', 'body.hnsw has an unknown property "ef"'));
  });

  it('the rerank and embedding routes of other APIs stay lenient: their clients send extra fields', async () => {
    const rerank = await inject(t.app, 'POST', '/v2/rerank', { query: 'q', documents: ['a', 'b'], model: 'x', max_chunks_per_doc: 3, priority: 1 });
    expect(rerank.status).toBe(200);
    const embeddings = await inject(t.app, 'POST', '/v1/embeddings', { input: 'q', user: 'someone', dimensions_hint: 1 });
    expect(embeddings.status).toBe(200);
  });

  it('/search takes top_k as an alias of top_n, as /rerank does', async () => {
    // No such collection: the request got past the schema (top_k known) to the store.
    const res = await inject(t.app, 'POST', '/search', { collection: 'nowhere', query: 'q', top_k: 3, mode: 'lexical' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('COLLECTION_NOT_FOUND');
  });

  it('a known path asked with another method is 405 with Allow, in the family\'s shape', async () => {
    const rerank = await inject(t.app, 'GET', '/v2/rerank');
    expect(rerank.status).toBe(405);
    expect(rerank.headers['allow']).toBe('POST');
    expect(rerank.body).toEqual(common('METHOD_NOT_ALLOWED', '/v2/rerank does not take GET; it takes POST.'));
    const collection = await inject(t.app, 'POST', '/collections/docs');
    expect(collection.status).toBe(405);
    expect(collection.headers['allow']).toBe('DELETE, GET, HEAD, PUT');
    const tei = await inject(t.app, 'GET', '/embed');
    expect(tei.status).toBe(405);
    expect(tei.headers['allow']).toBe('POST');
    expect(tei.body).toEqual({ error: '/embed does not take GET; it takes POST.', error_type: 'Validation' });
    const unknown = await inject(t.app, 'GET', '/v3/rerank');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(common('NOT_FOUND', 'No route GET /v3/rerank.'));
  });
});

describe('/health while the model loads (issue 24)', () => {
  it('answers 503 and logs it as a request done, not an error, while a failed request is still logged as one', async () => {
    const lines: Record<string, unknown>[] = [];
    const config = buildConfig({ model: await forgedModel(), workers: '1', embeddingModel: 'none', store: 'none' });
    const service = new Service(config);
    service.prepare();
    const app = await buildApp({ config, service, logger: pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) }) });
    try {
      await app.ready();
      const res = await inject(app, 'GET', '/health');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'loading' });
      expect(lines.filter((l) => l['route'] === '/health').map((l) => [l['level'], l['msg'], l['status']])).toEqual([[30, 'request done', 503]]);
      // A 5xx from the error path is still a failure in the log.
      const refused = await inject(app, 'POST', '/v2/rerank', { query: 'q', documents: ['a'] });
      expect(refused.status).toBe(503);
      expect(lines.filter((l) => l['route'] === '/v2/rerank').map((l) => [l['level'], l['msg'], l['status'], l['code']])).toEqual([[50, 'request failed', 503, 'NOT_READY']]);
    } finally {
      await app.close();
      await service.close();
    }
  });
});
