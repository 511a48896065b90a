import { CohereRerank } from '@langchain/cohere';
import { Document } from '@langchain/core/documents';
import { OpenAIEmbeddings } from '@langchain/openai';
import { CohereClient, CohereClientV2 } from 'cohere-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { clientServer, direct, directEmbeddings, f32, recordingFetch } from './client-server.js';
import { norm } from '../helpers/vectors.js';

/**
 * Issue 12: LangChain JS's Cohere reranker and OpenAI embeddings, pointed at this service. No
 * network: everything stays on loopback. OpenAIEmbeddings needs only the base URL; CohereRerank has
 * no base URL option (it builds `new CohereClient({ token })`, which always calls api.cohere.com),
 * so it takes a CohereClient made with `environment` set to the service, its documented `client` field.
 */
let server: RunningServer;
/**
 * @langchain/cohere 1.0.5 depends on cohere-ai 7; this repo's own cohere-ai is 8 (for test/http/client-sdks.test.ts).
 * The two CohereClient classes differ only in TypeScript's eyes (a protected field), and rerank() is the
 * same call, so an 8.x client is cast; a project without its own cohere-ai gets 7.x and needs no cast.
 */
type LangChainCohereClient = NonNullable<NonNullable<ConstructorParameters<typeof CohereRerank>[0]>['client']>;
const asClient = (client: CohereClient | CohereClientV2): LangChainCohereClient => client as unknown as LangChainCohereClient;
beforeAll(async () => {
  server = await clientServer();
});
afterAll(async () => server?.close());

const query = 'what is the capital of france';
const texts = ['Bananas are yellow.', 'Paris is the capital of France.', 'The Eiffel Tower is in Paris.', 'Berlin is in Germany.'];

describe('@langchain/cohere CohereRerank', () => {
  const reranker = (): CohereRerank =>
    new CohereRerank({ model: 'rerank-english-v3.0', topN: 3, client: asClient(new CohereClient({ token: 'not-checked', environment: server.url, maxRetries: 0 })) });

  it('rerank() returns our /v1/rerank order and scores', async () => {
    const ours = await direct<{ results: { index: number; relevance_score: number }[] }>(server, '/v1/rerank', { query, documents: texts, top_n: 3 });
    const results = await reranker().rerank(texts, query);
    expect(results).toEqual(ours.results.map((r) => ({ index: r.index, relevanceScore: r.relevance_score })));
  });

  it('compressDocuments() keeps the top documents, most relevant first, with the score in metadata', async () => {
    const docs = texts.map((pageContent, i) => new Document({ pageContent, metadata: { source: `doc-${i}` } }));
    const ours = await direct<{ results: { index: number; relevance_score: number }[] }>(server, '/v1/rerank', { query, documents: texts, top_n: 3 });
    const kept = await reranker().compressDocuments(docs, query);
    expect(kept.map((d) => d.metadata['source'])).toEqual(ours.results.map((r) => `doc-${r.index}`));
    expect(kept.map((d) => d.metadata['relevanceScore'])).toEqual(ours.results.map((r) => r.relevance_score));
  });

  it('a CohereClientV2 as the client reaches /v2/rerank with the same results', async () => {
    const v2 = new CohereRerank({ model: 'rerank-v3.5', topN: 2, client: asClient(new CohereClientV2({ token: 'not-checked', environment: server.url, maxRetries: 0 })) });
    const ours = await direct<{ results: { index: number; relevance_score: number }[] }>(server, '/v2/rerank', { query, documents: texts, top_n: 2 });
    expect(await v2.rerank(texts, query)).toEqual(ours.results.map((r) => ({ index: r.index, relevanceScore: r.relevance_score })));
  });
});

describe('@langchain/openai OpenAIEmbeddings', () => {
  const embeddings = (opts: { dimensions?: number } = {}): { model: OpenAIEmbeddings; bodies: Record<string, unknown>[] } => {
    const rec = recordingFetch();
    const model = new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: 'not-checked', maxRetries: 0, configuration: { baseURL: `${server.url}/v1`, fetch: rec.fetch }, ...opts });
    return { model, bodies: rec.bodies };
  };

  it('embedQuery sends the text as a string and returns our vector', async () => {
    const { model, bodies } = embeddings();
    const vector = await model.embedQuery(texts[1] as string);
    expect(bodies).toEqual([expect.objectContaining({ model: 'text-embedding-3-small', input: texts[1] })]);
    expect(vector).toEqual(f32(await directEmbeddings(server, [texts[1] as string]))[0]);
  });

  it('embedDocuments sends a list of strings (not token ids) and returns our vectors in order', async () => {
    const { model, bodies } = embeddings();
    const vectors = await model.embedDocuments(texts);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.['input']).toEqual(texts);
    // The openai SDK underneath asks for base64 (float32 bytes) and decodes it.
    expect(bodies[0]?.['encoding_format']).toBe('base64');
    expect(vectors).toEqual(f32(await directEmbeddings(server, texts)));
    for (const v of vectors) expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-5);
  });

  it('dimensions is sent as OpenAI\'s `dimensions`: the first N components, normalised again', async () => {
    const { model, bodies } = embeddings({ dimensions: 16 });
    const vectors = await model.embedDocuments(texts.slice(0, 2));
    expect(bodies[0]?.['dimensions']).toBe(16);
    expect(vectors.map((v) => v.length)).toEqual([16, 16]);
    expect(vectors).toEqual(f32(await directEmbeddings(server, texts.slice(0, 2), 16)));
    for (const v of vectors) expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-5);
  });

  it('newlines are replaced by spaces before sending (LangChain\'s stripNewLines, on by default)', async () => {
    const { model, bodies } = embeddings();
    await model.embedQuery('Paris\nis the capital');
    expect(bodies[0]?.['input']).toBe('Paris is the capital');
  });
});
