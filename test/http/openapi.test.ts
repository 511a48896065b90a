import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderOpenapi } from '../../src/openapi-export.js';
import { servedRoutes } from '../helpers/served-routes.js';
import { testApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp({}, {}, false);
});
afterAll(async () => t.close());

const committed = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));

describe('openapi.yaml', () => {
  it('is the snapshot of what the route schemas generate (run `npm run openapi` after changing them)', async () => {
    expect(committed).toEqual(parse(await renderOpenapi()));
  });

  it('documents every public route, and every documented route exists', () => {
    const documented = Object.entries(committed.paths as Record<string, Record<string, unknown>>).flatMap(([url, ops]) =>
      Object.keys(ops).map((method) => `${method} ${url}`),
    );
    const served = servedRoutes(t.app)
      .filter((r) => r.method !== 'head' && !r.url.startsWith('/docs') && r.url !== '/openapi.json')
      // Fastify writes path parameters as :name, OpenAPI as {name}.
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(new Set(documented)).toEqual(new Set(served));
    expect(documented).toEqual(expect.arrayContaining(['post /rerank', 'post /v1/rerank', 'post /v2/rerank', 'get /health', 'get /info']));
  });

  it('documents the error bodies of the rerank routes', () => {
    for (const url of ['/rerank', '/v1/rerank', '/v2/rerank']) {
      const responses = committed.paths[url].post.responses;
      expect(Object.keys(responses)).toEqual(expect.arrayContaining(['200', '4XX', '5XX']));
    }
  });

  it('is served at /openapi.json and /docs', async () => {
    const json = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual(committed);
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });
});
