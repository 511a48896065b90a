import { CohereClientV2, CohereError } from 'cohere-ai';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig, redactConfig } from '../../src/config.js';
import { STATUS_BY_CODE } from '../../src/errors.js';
import { AUTH_FAILURE_REASONS } from '../../src/metrics.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { forgedModel } from '../support/forged-model.js';
import { searchApp, type SearchApp } from '../support/search-app.js';
import { forgedEmbedder } from '../support/test-app.js';
import { sample } from './metrics-text.js';
import { inject } from '../helpers/inject.js';

/**
 * Issue 11, item 10: who may call. Keys are sent as `Authorization: Bearer <key>`, compared in
 * constant time, never logged or shown; /health and /metrics stay open; the routes that change
 * stored data can need a separate admin key.
 */
const KEYS = ['key-one-7d1f0a', 'key-two-93bc44'];
const ADMIN = 'admin-key-5e62aa';
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

let t: SearchApp;
const logLines: string[] = [];
beforeAll(async () => {
  t = await searchApp('pglite', { apiKey: KEYS.join(','), adminApiKey: ADMIN, workers: '1' });
});
afterAll(async () => t?.close());

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: unknown) => inject(t.app, method, url, payload, headers);

const rerank = { query: 'capital of france', documents: ['Paris is the capital of France.', 'Bananas are yellow.'] };

describe('API keys (issue 11)', () => {
  it('answers 401 with WWW-Authenticate and the stable error body without a key, or with a wrong one', async () => {
    for (const headers of [{}, bearer('wrong'), bearer(''), { authorization: `Basic ${Buffer.from(`u:${KEYS[0]}`).toString('base64')}` }, { authorization: KEYS[0] as string }, bearer(`${KEYS[0]}x`)]) {
      const res = await call('POST', '/v2/rerank', headers, rerank);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      const message = 'Send a valid API key as Authorization: Bearer <key>.';
      expect(res.body).toEqual({ error: { code: 'UNAUTHORIZED', message }, message, detail: message });
    }
  });

  it('takes every configured key, on every route but /health, /metrics and the API docs', async () => {
    for (const key of [...KEYS, ADMIN]) expect((await call('POST', '/v2/rerank', bearer(key), rerank)).status).toBe(200);
    expect((await call('POST', '/v2/rerank', { authorization: `bearer   ${KEYS[1]}  ` }, rerank)).status).toBe(200);
    const guarded: [string, string, unknown?][] = [
      ['POST', '/rerank', rerank],
      ['POST', '/v1/rerank', rerank],
      ['POST', '/v1/embeddings', { input: 'x' }],
      ['POST', '/embed', { inputs: 'x' }],
      ['POST', '/search', { collection: 'docs', query: 'x' }],
      ['GET', '/info'],
      ['GET', '/collections'],
      ['GET', '/collections/docs'],
      ['GET', '/collections/docs/documents/1'],
      ['GET', '/no-such-route'],
    ];
    for (const [method, url, body] of guarded) expect((await call(method as 'GET', url, {}, body)).status, `${method} ${url}`).toBe(401);
    for (const url of ['/health', '/metrics', '/openapi.json', '/docs/']) expect((await call('GET', url)).status, url).toBe(200);
  });

  it('needs the admin key on the routes that change stored data; the other keys get 403 there', async () => {
    const writes: [string, string, unknown?][] = [
      ['PUT', '/collections/guarded', {}],
      ['POST', '/collections/guarded/documents', { documents: [{ id: '1', text: 'Paris' }] }],
      ['DELETE', '/collections/guarded/documents', { ids: ['1'] }],
      ['DELETE', '/collections/guarded'],
    ];
    for (const [method, url, body] of writes) {
      expect((await call(method as 'PUT', url, {}, body)).status, `${method} ${url} without a key`).toBe(401);
      const forbidden = await call(method as 'PUT', url, bearer(KEYS[0] as string), body);
      expect(forbidden.status, `${method} ${url} with an API key`).toBe(403);
      expect(forbidden.body.error.code).toBe('FORBIDDEN');
      expect((await call(method as 'PUT', url, bearer(ADMIN), body)).status, `${method} ${url} with the admin key`).toBe(200);
    }
    // Reading stays open to the ordinary keys.
    expect((await call('GET', '/collections', bearer(KEYS[1] as string))).status).toBe(200);
  });

  it('answers TEI-shaped on /embed', async () => {
    const res = await call('POST', '/embed', {}, { inputs: 'x' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'Send a valid API key as Authorization: Bearer <key>.', error_type: 'Validation' });
  });

  it('counts refusals by reason, every reason exported from the start', async () => {
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const reason of AUTH_FAILURE_REASONS) expect(metrics).toMatch(new RegExp(`^reranker_auth_failures_total\\{reason="${reason}"\\} \\d+`, 'm'));
    expect(sample(metrics, 'reranker_auth_failures_total', { reason: 'missing' })).toBeGreaterThan(0);
    expect(sample(metrics, 'reranker_auth_failures_total', { reason: 'invalid' })).toBeGreaterThan(0);
    expect(sample(metrics, 'reranker_auth_failures_total', { reason: 'forbidden' })).toBeGreaterThan(0);
    expect(Object.keys(STATUS_BY_CODE)).toEqual(expect.arrayContaining(['UNAUTHORIZED', 'FORBIDDEN']));
  });

  it('never shows a key: not in /info, not in error messages, not in the logged config', async () => {
    const info = await call('GET', '/info', bearer(KEYS[0] as string));
    expect(info.status).toBe(200);
    const wrong = await call('POST', '/v2/rerank', bearer('the-wrong-key-4411'), rerank);
    const shown = JSON.stringify([info.body, wrong.body, redactConfig(t.config)]);
    for (const secret of [...KEYS, ADMIN, 'the-wrong-key-4411']) expect(shown).not.toContain(secret);
    expect(JSON.stringify(t.config)).toContain(KEYS[0]);
  });
});

describe('a real server with keys, and the clients that send them', () => {
  let server: RunningServer;
  beforeAll(async () => {
    const config = buildConfig({ model: await forgedModel(), embeddingModel: await forgedEmbedder(), store: 'none', host: '127.0.0.1', port: '0', workers: '1', apiKey: KEYS.join(',') });
    server = await startServer(config, { logger: pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) }) });
    await server.ready;
  });
  afterAll(async () => server?.close());

  it('the Cohere SDK sends its token as the key: served with it, 401 without', async () => {
    const good = new CohereClientV2({ token: KEYS[1], environment: server.url, maxRetries: 0 });
    const res = await good.rerank({ model: 'rerank-v3.5', query: 'capital of france', documents: rerank.documents });
    expect(res.results).toHaveLength(2);
    const bad = new CohereClientV2({ token: 'not-a-key', environment: server.url, maxRetries: 0 });
    const err = await bad.rerank({ model: 'rerank-v3.5', query: 'q', documents: ['a'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CohereError);
    expect((err as CohereError).statusCode).toBe(401);
  });

  it('the openai SDK sends its apiKey as the key', async () => {
    const client = new OpenAI({ apiKey: KEYS[0], baseURL: `${server.url}/v1`, maxRetries: 0 });
    const res = await client.embeddings.create({ model: 'm', input: 'hello' });
    expect(res.data).toHaveLength(1);
    const bad = new OpenAI({ apiKey: 'nope', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const err = await bad.embeddings.create({ model: 'm', input: 'hello' }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(401);
  });

  it('keeps keys out of the log, sent or configured', async () => {
    const all = logLines.join('\n');
    expect(all).toContain('starting reranker');
    for (const secret of [...KEYS, 'not-a-key', 'nope']) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/API is open/);
  });
});

describe('without a key', () => {
  it('says once at start that the API is open, louder when it listens beyond loopback', async () => {
    for (const [host, level] of [
      ['127.0.0.1', 30],
      ['0.0.0.0', 40],
    ] as const) {
      const lines: { level: number; msg: string }[] = [];
      const config = buildConfig({ model: await forgedModel(), embeddingModel: 'none', store: 'none', host, port: '0', workers: '1' });
      const server = await startServer(config, { logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) }) });
      try {
        await server.ready;
        const open = lines.filter((l) => /API is open/.test(l.msg));
        expect(open, host).toHaveLength(1);
        expect(open[0]?.level, host).toBe(level);
      } finally {
        await server.close();
      }
    }
  });
});
