import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from '../helpers/inject.js';
import { forgedEmbedder, testApp, type TestApp } from '../support/test-app.js';

/**
 * Each API family answers errors from its own (encapsulated) error handler. /embed is registered in
 * the embeddings family's TEI plugin, so even a body that never became JSON gets TEI's
 * `{error, error_type}` there, while /v1/embeddings, in the same family but outside that plugin, and
 * everything no family owns answer in the common shape.
 */
let t: TestApp;
beforeAll(async () => {
  t = await testApp({ embeddingModel: await forgedEmbedder(), workers: '1' });
});
afterAll(async () => t?.close());

const NOT_JSON = "The request body is not valid JSON: Body is not valid JSON but content-type is set to 'application/json'";
const common = (code: string, message: string) => ({ error: { code, message }, message, detail: message });

describe('error shape by API family', () => {
  it('/embed answers a body that is not JSON in TEI\'s shape, from the TEI plugin', async () => {
    const res = await inject(t.app, 'POST', '/embed', '{"inputs": [');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: NOT_JSON, error_type: 'Validation' });
  });

  it('/v1/embeddings answers the same body in the common shape', async () => {
    const res = await inject(t.app, 'POST', '/v1/embeddings', '{"input": [');
    expect(res.status).toBe(400);
    expect(res.body).toEqual(common('INVALID_REQUEST', NOT_JSON));
  });

  it('the TEI plugin owns its prefix: another method on /embed is a TEI 405 (issue 24), an unknown route a common 404', async () => {
    const tei = await inject(t.app, 'GET', '/embed');
    expect(tei.status).toBe(405);
    expect(tei.headers['allow']).toBe('POST');
    expect(tei.body).toEqual({ error: '/embed does not take GET; it takes POST.', error_type: 'Validation' });
    const teiUnknown = await inject(t.app, 'GET', '/embed/extra');
    expect(teiUnknown.status).toBe(404);
    expect(teiUnknown.body).toEqual({ error: 'No route GET /embed/extra.', error_type: 'Validation' });
    const elsewhere = await inject(t.app, 'GET', '/v1/embed');
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body).toEqual(common('NOT_FOUND', 'No route GET /v1/embed.'));
  });

  it('/rerank picks the shape by body; /v2/rerank, same family, always the common one', async () => {
    const tei = await inject(t.app, 'POST', '/rerank', { query: 'q', texts: [] });
    expect(tei.body).toEqual({ error: 'documents must not be empty.', error_type: 'Empty' });
    const v2 = await inject(t.app, 'POST', '/v2/rerank', { query: 'q', texts: [] });
    expect(v2.status).toBe(400);
    expect(v2.body).toEqual(common('INVALID_REQUEST', "body must have required property 'documents'"));
  });
});
