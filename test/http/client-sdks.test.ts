import { CohereClient, CohereClientV2, CohereError } from 'cohere-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { loopbackServer } from '../helpers/loopback-server.js';

/** Cohere's own TypeScript SDK, pointed at this service by its base URL alone. */
let server: RunningServer;
beforeAll(async () => {
  server = await loopbackServer({ servedModelName: 'forged-tiny' });
});
afterAll(async () => server.close());

const query = 'what is the capital of france';
const documents = ['Bananas are yellow.', 'Paris is the capital of France.', 'The Eiffel Tower is in Paris.'];

describe('the Cohere SDK against this service', () => {
  it('v2 client: rerank parses our response', async () => {
    const client = new CohereClientV2({ token: 'not-checked', environment: server.url, maxRetries: 0 });
    const res = await client.rerank({ model: 'rerank-v3.5', query, documents, topN: 2 });
    expect(res.results).toHaveLength(2);
    const all = await client.rerank({ model: 'rerank-v3.5', query, documents });
    expect(res.results.map((r) => r.index)).toEqual(all.results.slice(0, 2).map((r) => r.index));
    expect(all.results.map((r) => r.relevanceScore)).toEqual([...all.results.map((r) => r.relevanceScore)].sort((a, b) => b - a));
    expect(res.meta?.billedUnits?.searchUnits).toBe(1);
  });

  it('v1 client: rerank with returnDocuments echoes the texts', async () => {
    const client = new CohereClient({ token: 'not-checked', environment: server.url, maxRetries: 0 });
    const res = await client.rerank({ model: 'rerank-english-v3.0', query, documents, returnDocuments: true });
    expect(res.results).toHaveLength(3);
    for (const r of res.results) expect(r.document?.text).toBe(documents[r.index]);
  });

  it('v2 client: our 422 surfaces as the SDK error with our message', async () => {
    const client = new CohereClientV2({ token: 'not-checked', environment: server.url, maxRetries: 0 });
    const err = await client.rerank({ model: 'rerank-v3.5', query, documents, topN: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CohereError);
    expect((err as CohereError).statusCode).toBe(422);
    expect((err as CohereError).body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' }, message: expect.stringContaining('top_n') });
  });
});
