import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { buildConfig } from '../../src/config.js';
import { Service } from '../../src/service.js';
import { forgedModel } from '../support/forged-model.js';

type Line = Record<string, unknown> & { msg: string; reqId?: string };
const lines: Line[] = [];
let app: Awaited<ReturnType<typeof buildApp>>;
let service: Service;

beforeAll(async () => {
  const config = buildConfig({ model: await forgedModel(), workers: '1', embeddingModel: 'none', store: 'none' });
  service = new Service(config);
  await service.start();
  app = await buildApp({ config, service, logger: pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Line) }) });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await service.close();
});

const SECRET_QUERY = 'zebra-query-that-must-not-be-logged';
const SECRET_DOC = 'okapi-document-that-must-not-be-logged';

describe('one log line per request', () => {
  it('carries id, route, status, counts and stage timings, and no text', async () => {
    lines.length = 0;
    const res = await app.inject({ method: 'POST', url: '/v2/rerank', headers: { 'x-request-id': 'req-123' }, payload: { query: SECRET_QUERY, documents: [SECRET_DOC, 'another'] } });
    expect(res.statusCode).toBe(200);
    expect(lines).toHaveLength(1);
    const line = lines[0] as Line;
    expect(line).toMatchObject({ reqId: 'req-123', route: '/v2/rerank', method: 'POST', status: 200, items: 2, cached: 0, msg: 'request done' });
    expect(line.tokens).toBeGreaterThan(4);
    expect(Object.keys(line.stages_ms as object).sort()).toEqual(['cache_lookup', 'inference', 'queue_wait', 'tokenize']);
    const raw = JSON.stringify(lines);
    expect(raw).not.toContain('zebra');
    expect(raw).not.toContain('okapi');

    lines.length = 0;
    await app.inject({ method: 'POST', url: '/v2/rerank', payload: { query: SECRET_QUERY, documents: [SECRET_DOC, 'another'] } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ cached: 2, tokens: 0 });
    // Stages that did not run (everything came from the cache) are not reported as zeros.
    expect(Object.keys(lines[0]?.stages_ms as object)).toEqual(['cache_lookup']);
  });

  it('writes a single line for a rejected request, with its code', async () => {
    lines.length = 0;
    const res = await app.inject({ method: 'POST', url: '/v2/rerank', payload: `{"query": "${SECRET_QUERY}", "documents": [` , headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ status: 400, code: 'INVALID_REQUEST', route: '/v2/rerank' });
    expect(JSON.stringify(lines)).not.toContain('zebra');
  });
});

describe('Server-Timing', () => {
  it('reports the stage durations on rerank responses', async () => {
    for (const [url, payload] of [
      ['/v2/rerank', { query: 'q', documents: ['timing a', 'timing b'] }],
      ['/rerank', { query: 'q', texts: ['timing tei'] }],
    ] as const) {
      const res = await app.inject({ method: 'POST', url, payload });
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['server-timing'])).toMatch(/^cache;dur=\d+\.\d, tokenize;dur=\d+\.\d, queue;dur=\d+\.\d, inference;dur=\d+\.\d$/);
    }
  });
});
