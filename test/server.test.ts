import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { loopbackServer } from './helpers/loopback-server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await loopbackServer();
});
afterAll(async () => server.close());

describe('a real server on an ephemeral port', () => {
  it('answers /health and a Cohere v2 client over HTTP', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const res = await fetch(`${server.url}/v2/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ignored' },
      body: JSON.stringify({ model: 'rerank-v3.5', query: 'capital of france', documents: ['Paris is the capital of France.', 'Bananas are yellow.'], top_n: 1 }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: { index: number; relevance_score: number }[] };
    expect(body.results).toHaveLength(1);
  });

  it('lets in-flight requests finish on close and refuses new ones after', async () => {
    const documents = Array.from({ length: 300 }, (_, i) => `document number ${i} about ${'topic '.repeat(i % 40)}`);
    const inFlight = fetch(`${server.url}/v2/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'topic', documents }),
    });
    await new Promise((r) => setTimeout(r, 30));
    const closed = server.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(300);
    await closed;
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
