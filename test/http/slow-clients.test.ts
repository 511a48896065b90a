import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { forgedModel } from '../support/forged-model.js';
import { parseResponse, rawClient, type RawClient } from '../support/raw-http.js';

/**
 * Issue 11, item 2: slow and idle clients. A body that has not arrived in time gets 408 and its
 * connection is closed; headers and idle keep-alive connections have their own timeouts; requests
 * beyond --max-concurrent-requests get 503 SERVER_BUSY with Retry-After; and connections trickling a
 * body do not stop anyone else from being served.
 */
const BODY_MS = 1000;
const HEADERS_MS = 600;
const IDLE_MS = 400;
let server: RunningServer;
beforeAll(async () => {
  const config = buildConfig({
    model: await forgedModel(),
    embeddingModel: 'none',
    store: 'none',
    host: '127.0.0.1',
    port: '0',
    workers: '1',
    requestBodyTimeoutMs: String(BODY_MS),
    headersTimeoutMs: String(HEADERS_MS),
    keepAliveTimeoutMs: String(IDLE_MS),
    maxConcurrentRequests: '2',
    cacheMaxBytes: '0',
  });
  server = await startServer(config, { logger: pino({ level: 'silent' }) });
  await server.ready;
});
afterAll(async () => server?.close());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rerank = (documents: string[]) =>
  fetch(`${server.url}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'capital of france', documents }) });

/** A client that sent its headers and now sends its body a byte every `everyMs`. */
async function trickler(everyMs: number): Promise<{ client: RawClient; stop(): void }> {
  const client = await rawClient(server.url);
  client.socket.write('POST /v2/rerank HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
  const timer = setInterval(() => client.socket.writable && client.socket.write(' '), everyMs);
  client.socket.once('close', () => clearInterval(timer));
  return { client, stop: () => clearInterval(timer) };
}

describe('slow and idle clients (issue 11)', () => {
  it('a body still arriving after --request-body-timeout-ms gets 408 and its connection is closed', async () => {
    const { client, stop } = await trickler(100);
    const ex = await client.done(BODY_MS + 3000);
    stop();
    expect(ex.closed).toBe(true);
    // Node checks the deadline every connectionsCheckingInterval: at most a tenth of it late.
    expect(ex.closedAfterMs).toBeGreaterThanOrEqual(BODY_MS - 50);
    expect(ex.closedAfterMs).toBeLessThan(BODY_MS + 2500);
    const res = parseResponse(ex.received);
    expect(res.status).toBe(408);
    expect(res.body).toMatchObject({ error: { code: 'REQUEST_TIMEOUT' } });
  });

  it('headers that do not arrive within --headers-timeout-ms close the connection', async () => {
    const client = await rawClient(server.url);
    client.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const timer = setInterval(() => client.socket.writable && client.socket.write('X-Slow: 1\r\n'), 100);
    const ex = await client.done(HEADERS_MS + 3000);
    clearInterval(timer);
    expect(ex.closed).toBe(true);
    expect(ex.closedAfterMs).toBeLessThan(HEADERS_MS + 2500);
    expect(parseResponse(ex.received).status).toBe(408);
  });

  it('an idle keep-alive connection is closed after --keep-alive-timeout-ms', async () => {
    const client = await rawClient(server.url);
    client.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const ex = await client.done(IDLE_MS + 3000);
    expect(parseResponse(ex.received).status).toBe(200);
    expect(ex.closed).toBe(true);
    expect(ex.closedAfterMs).toBeLessThan(IDLE_MS + 1500);
  });

  it('beyond --max-concurrent-requests: 503 SERVER_BUSY with Retry-After; /health is not counted', async () => {
    const documents = Array.from({ length: 300 }, (_, i) => `document ${i} ${'about the river seine and paris '.repeat(1 + (i % 8))}`);
    const answers = await Promise.all(Array.from({ length: 6 }, () => rerank(documents)));
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    const busy = answers.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (const r of busy) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('SERVER_BUSY');
    }
    // Once they are answered, the room is free again.
    expect((await rerank(['Paris is the capital of France.'])).status).toBe(200);
  });

  it('connections trickling a body hold no request room: others are served meanwhile', async () => {
    const slow = await Promise.all(Array.from({ length: 30 }, () => trickler(300)));
    await sleep(100);
    for (let i = 0; i < 5; i++) expect((await rerank(['Paris is the capital of France.', 'Bananas are yellow.'])).status).toBe(200);
    const closed = await Promise.all(slow.map((s) => s.client.done(BODY_MS + 3000)));
    for (const s of slow) s.stop();
    expect(closed.every((c) => c.closed)).toBe(true);
  });
});
