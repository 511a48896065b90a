import { CohereRerank } from '@llamaindex/cohere';
import { TextNode, type NodeWithScore } from '@llamaindex/core/schema';
import { OpenAIEmbedding } from '@llamaindex/openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { clientServer, direct, directEmbeddings, f32, recordingFetch } from './client-server.js';
import { norm } from '../helpers/vectors.js';

/**
 * Issue 12: LlamaIndex TS's Cohere rerank postprocessor and OpenAI embedding class, pointed at this
 * service by their base URL options alone (`baseUrl`, `baseURL`). No network: loopback only.
 * Installed as @llamaindex/{core,cohere,openai} with an `overrides` entry in package.json: their
 * @llamaindex/env lists @huggingface/transformers ^3 as an optional peer, and this repo has 4.x.
 */
let server: RunningServer;
beforeAll(async () => {
  server = await clientServer();
});
afterAll(async () => server?.close());

const query = 'what is the capital of france';
const texts = ['Bananas are yellow.', 'Paris is the capital of France.', 'The Eiffel Tower is in Paris.', 'Berlin is in Germany.'];

describe('@llamaindex/cohere CohereRerank', () => {
  it('postprocessNodes returns the top nodes in our /v1/rerank order, scored as we score them', async () => {
    const reranker = new CohereRerank({ apiKey: 'not-checked', baseUrl: server.url, model: 'rerank-english-v3.0', topN: 3 });
    const nodes: NodeWithScore[] = texts.map((text, i) => ({ node: new TextNode({ text, id_: `doc-${i}` }), score: 0 }));
    const ours = await direct<{ results: { index: number; relevance_score: number }[] }>(server, '/v1/rerank', { query, documents: texts, top_n: 3 });
    const kept = await reranker.postprocessNodes(nodes, query);
    expect(kept.map((n) => n.node.id_)).toEqual(ours.results.map((r) => `doc-${r.index}`));
    expect(kept.map((n) => n.score)).toEqual(ours.results.map((r) => r.relevance_score));
  });

  it('scores each node\'s metadata with its text (MetadataMode.ALL: `key: value` lines, a blank line, the text)', async () => {
    const reranker = new CohereRerank({ apiKey: 'not-checked', baseUrl: server.url, model: 'rerank-english-v3.0', topN: 1 });
    const node = new TextNode({ text: texts[1] as string, metadata: { source: 'atlas', page: 7 }, excludedLlmMetadataKeys: ['source', 'page'] });
    const [kept] = await reranker.postprocessNodes([{ node, score: 0 }], query);
    const ours = await direct<{ results: { relevance_score: number }[] }>(server, '/v1/rerank', { query, documents: [`page: 7\nsource: atlas\n\n${texts[1]}`] });
    expect(kept?.score).toBe(ours.results[0]?.relevance_score);
    const plain = await direct<{ results: { relevance_score: number }[] }>(server, '/v1/rerank', { query, documents: [texts[1]] });
    expect(kept?.score).not.toBe(plain.results[0]?.relevance_score);
  });
});

describe('@llamaindex/openai OpenAIEmbedding', () => {
  const embedding = (opts: { dimensions?: number } = {}): { model: OpenAIEmbedding; bodies: Record<string, unknown>[] } => {
    const rec = recordingFetch();
    const model = new OpenAIEmbedding({ model: 'text-embedding-3-small', apiKey: 'not-checked', baseURL: `${server.url}/v1`, maxRetries: 0, additionalSessionOptions: { fetch: rec.fetch }, ...opts });
    return { model, bodies: rec.bodies };
  };

  it('getTextEmbedding sends the text as a string and returns our vector', async () => {
    const { model, bodies } = embedding();
    const vector = await model.getTextEmbedding(texts[1] as string);
    expect(bodies).toEqual([expect.objectContaining({ model: 'text-embedding-3-small', input: [texts[1]] })]);
    expect(vector).toEqual(f32(await directEmbeddings(server, [texts[1] as string]))[0]);
  });

  it('getTextEmbeddingsBatch sends lists of strings and returns our vectors in order', async () => {
    const { model, bodies } = embedding();
    const vectors = await model.getTextEmbeddingsBatch(texts);
    expect(bodies.flatMap((b) => b['input'] as string[])).toEqual(texts);
    expect(vectors).toEqual(f32(await directEmbeddings(server, texts)));
    for (const v of vectors) expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-5);
  });

  it('dimensions is sent as OpenAI\'s `dimensions`', async () => {
    const { model, bodies } = embedding({ dimensions: 16 });
    const vectors = await model.getTextEmbeddingsBatch(texts.slice(0, 2));
    expect(bodies[0]?.['dimensions']).toBe(16);
    expect(vectors).toEqual(f32(await directEmbeddings(server, texts.slice(0, 2), 16)));
  });
});
