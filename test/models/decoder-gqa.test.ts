import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/graph/onnx-proto.js';
import { KINDS } from '../../src/models/kinds/index.js';
import { loadModel } from '../../src/models/registry.js';
import { rerankScores } from '../helpers/rerank-scores.js';
import { forgedDecoder } from '../support/forged-model.js';
import { testApp, type TestApp } from '../support/test-app.js';

const query = 'what is the capital of France?';
// Lengths apart, so a batch is right-padded and GroupQueryAttention must read each sequence's own length.
const documents = ['Paris.', 'Bananas are yellow and grow in bunches on large plants.', '東京は日本の首都です。 🚀', `Rivers ${'and more rivers, '.repeat(12)}`];

let plain: TestApp;
let fused: TestApp;
let fusedDir: string;

beforeAll(async () => {
  // Same seed, same weights: one graph with attention spelled out, one with ONNX Runtime's fused operator.
  fusedDir = await forgedDecoder({ attention: 'gqa' });
  plain = await testApp({ model: await forgedDecoder(), workers: '1', cacheMaxBytes: '0' });
  fused = await testApp({ model: fusedDir, workers: '1', cacheMaxBytes: '0' });
});
afterAll(async () => {
  await plain?.close();
  await fused?.close();
});

const raw = (t: TestApp, docs: string[]): Promise<number[]> => rerankScores(t.app, { query, documents: docs, raw_scores: true });

describe('a decoder export with fused attention (com.microsoft.GroupQueryAttention, as onnx-community ships Qwen3-Reranker)', () => {
  it('loads, with its empty caches fed and the score-head rewrite applied', () => {
    const nodes = decodeModel(readFileSync(join(fusedDir, 'onnx/model.onnx'))).graph?.node ?? [];
    expect(nodes.filter((n) => n.opType === 'GroupQueryAttention' && n.domain === 'com.microsoft')).toHaveLength(2);
    const model = loadModel('reranker', KINDS, fusedDir, {}, { graphRewrites: true, limits: {} });
    expect(model.engine.session.rewrites).toEqual(['score-head:2152,9693']);
  });

  it('scores as the decomposed graph does (1e-5), in a right-padded batch and one pair at a time', async () => {
    const want = await raw(plain, documents);
    const together = await raw(fused, documents);
    together.forEach((s, i) => expect(Math.abs(s - (want[i] as number)), documents[i]).toBeLessThan(1e-5));
    for (const [i, d] of documents.entries()) expect(Math.abs(((await raw(fused, [d]))[0] as number) - (together[i] as number))).toBeLessThan(1e-5);
    // The forged scores spread, so equality above is not two constants agreeing.
    expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.1);
  });
});
