import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { forgedModel } from '../support/forged-model.js';
import { parseResponse, rawClient } from '../support/raw-http.js';
import { forgedEmbedder } from '../support/test-app.js';

/**
 * Issue 11, item 3: a body over the limit gets a 413 the client can read. Refused on Content-Length
 * before it is read, `Expect: 100-continue` honoured (no 100 for a body that will be refused), and
 * the connection closed only after the client could read the answer: never a broken pipe.
 */
const KEY = 'body-limit-key';
const MB = 1024 * 1024;
let server: RunningServer;
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'body-limit-'));
  const config = buildConfig({
    model: await forgedModel(),
    embeddingModel: await forgedEmbedder(),
    dataDir,
    host: '127.0.0.1',
    port: '0',
    workers: '1',
    apiKey: KEY,
    maxBodyBytes: String(1 * MB),
    maxDocumentChars: '1000',
  });
  server = await startServer(config, { logger: pino({ level: 'silent' }) });
  await server.ready;
});
afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const head = (path: string, headers: Record<string, string | number>): string =>
  [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${KEY}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');

/** 60 MB of JSON-looking bytes, in 1 MB pieces. */
const bigBody = (mb: number): Buffer[] => Array.from({ length: mb }, (_, i) => Buffer.alloc(MB, i === 0 ? '{"query":"q","documents":["' : 'x'));

describe('a body over the limit (issue 11)', () => {
  it('60 MB with Content-Length: the client reads the 413, not a broken pipe', async () => {
    const client = await rawClient(server.url);
    const pieces = bigBody(60);
    client.socket.write(head('/v2/rerank', { 'Content-Type': 'application/json', 'Content-Length': 60 * MB }));
    for (const p of pieces) client.socket.write(p);
    const ex = await client.done(20_000);
    const res = parseResponse(ex.received);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(ex.error?.code).toBeUndefined();
    expect(ex.closed).toBe(true);
  });

  it('60 MB chunked, without Content-Length: the same readable 413', async () => {
    const client = await rawClient(server.url);
    client.socket.write(head('/v2/rerank', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }));
    for (const p of bigBody(60)) client.socket.write(`${p.length.toString(16)}\r\n${p.toString('latin1')}\r\n`, 'latin1');
    client.socket.write('0\r\n\r\n');
    const ex = await client.done(20_000);
    const res = parseResponse(ex.received);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(ex.error?.code).toBeUndefined();
  });

  it('Expect: 100-continue: no 100 for a body that will be refused, and the refusal comes at once', async () => {
    const client = await rawClient(server.url);
    client.socket.write(head('/v2/rerank', { 'Content-Type': 'application/json', 'Content-Length': 60 * MB, Expect: '100-continue' }));
    const ex = await client.done(5_000);
    expect(ex.received).not.toContain('100 Continue');
    expect(parseResponse(ex.received).status).toBe(413);
    expect(ex.closed).toBe(true);
  });

  it('Expect: 100-continue: no 100 either for a request without a key', async () => {
    const client = await rawClient(server.url);
    client.socket.write(head('/v2/rerank', { 'Content-Type': 'application/json', 'Content-Length': 100, Expect: '100-continue' }).replace(`Authorization: Bearer ${KEY}\r\n`, ''));
    await new Promise((r) => setTimeout(r, 300));
    client.socket.end();
    const ex = await client.done(5_000);
    expect(ex.received).not.toContain('100 Continue');
    expect(parseResponse(ex.received).status).toBe(401);
  });

  it('Expect: 100-continue: 100 Continue for a body within the limit, then the answer', async () => {
    const body = JSON.stringify({ query: 'capital of france', documents: ['Paris is the capital of France.', 'Bananas are yellow.'] });
    const client = await rawClient(server.url);
    client.socket.write(head('/v2/rerank', { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Expect: '100-continue', Connection: 'close' }));
    for (let i = 0; i < 100 && !client.received().includes('100 Continue'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(client.received()).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    client.socket.write(body);
    const ex = await client.done(10_000);
    const res = parseResponse(ex.received);
    expect(res.status).toBe(200);
    expect((res.body as { results: unknown[] }).results).toHaveLength(2);
  });
});

describe('the NDJSON upsert route streams bodies of any size (issue 11)', () => {
  beforeAll(async () => {
    const res = await fetch(`${server.url}/collections/bulk`, { method: 'PUT', headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
  });

  it('takes an NDJSON body larger than --max-body-bytes, with or without Content-Length', async () => {
    const line = (i: number): string => `${JSON.stringify({ id: `d${i}`, text: `document ${i} ${'about paris '.repeat(60)}` })}\n`;
    const body = Array.from({ length: 2000 }, (_, i) => line(i)).join('');
    expect(Buffer.byteLength(body)).toBeGreaterThan(1 * MB);
    const res = await fetch(`${server.url}/collections/bulk/documents`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' }, body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { upserted: number }).upserted).toBe(2000);
  });

  it('refuses a line over its bound with a 413 the client can read while it is still sending', async () => {
    const client = await rawClient(server.url);
    client.socket.write(head('/collections/bulk/documents', { 'Content-Type': 'application/x-ndjson', 'Content-Length': 8 * MB }));
    for (let i = 0; i < 8; i++) client.socket.write(Buffer.alloc(MB, i === 0 ? '{"id":"long","text":"' : 'y'));
    const ex = await client.done(10_000);
    const res = parseResponse(ex.received);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('line 1') } });
    expect(ex.error?.code).toBeUndefined();
    expect(ex.closed).toBe(true);
  });

  it('answers a valid request on a fresh connection afterwards', async () => {
    const res = await fetch(`${server.url}/collections/bulk`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { documents: number }).documents).toBe(2000);
  });
});
