import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWithExternalData, hasExternalData, modelFileBytes, readTensorBytes } from '../../src/graph/external-data.js';
import { planGraph } from '../../src/graph/plan-graph.js';
import { decodeModel } from '../../src/graph/onnx-proto.js';
import { quantizeOnnxFile } from '../../src/graph/quantize/quantize-file.js';
import { KINDS } from '../../src/models/kinds/index.js';
import { loadModel } from '../../src/models/registry.js';
import { rerankScores } from '../helpers/rerank-scores.js';
import { forgedDecoder } from '../support/forged-model.js';
import { testApp } from '../support/test-app.js';

const query = 'what is the capital of France?';
const documents = ['Paris is the capital of France.', 'Bananas are yellow.', '東京は日本の首都です。 🚀', `Rivers ${'and more rivers, '.repeat(12)}`];

let inline: string;
let external: string;
let work: string;

beforeAll(async () => {
  // The same seed gives the same weights: one folder keeps them in the graph, the other beside it.
  inline = await forgedDecoder();
  external = await forgedDecoder({ externalData: true });
  work = mkdtempSync(join(tmpdir(), 'external-data-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function served(model: string, settings: Record<string, string> = {}): Promise<number[]> {
  const app = await testApp({ model, workers: '1', cacheMaxBytes: '0', ...settings });
  try {
    return await rerankScores(app.app, { query, documents, raw_scores: true });
  } finally {
    await app.close();
  }
}

describe('models whose weights are ONNX external data (every export over 2 GB, e.g. Qwen3-Reranker-0.6B)', () => {
  it('the forge writes the weights to onnx/model.onnx_data and the graph keeps only their places', () => {
    const graph = join(external, 'onnx/model.onnx');
    expect(readdirSync(join(external, 'onnx')).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    expect(statSync(graph).size).toBeLessThan(100_000);
    expect(hasExternalData(decodeModel(readFileSync(graph)))).toBe(true);
    // The worker memory estimate counts the data file.
    expect(modelFileBytes(graph)).toBe(statSync(graph).size + statSync(`${graph}_data`).size);
    expect(modelFileBytes(graph)).toBeGreaterThan(statSync(join(inline, 'onnx/model.onnx')).size * 0.99);
  });

  it('loads with the score-head rewrite (its two rows read from the data file) and scores as the inline model does', async () => {
    const model = loadModel('reranker', KINDS, external, {}, { graphRewrites: true, limits: {} });
    expect(model.engine.session.rewrites).toEqual(['score-head:2152,9693']);
    expect(model.engine.session.externalDataDir).toBe(join(external, 'onnx'));
    // The rewritten copy holds no weights: the workers read them from the original folder.
    expect(statSync(model.engine.session.rewrittenPath as string).size).toBeLessThan(100_000);

    const want = await served(inline);
    const got = await served(external);
    got.forEach((s, i) => expect(Math.abs(s - (want[i] as number))).toBeLessThan(1e-6));
    const full = await served(external, { graphRewrites: 'false' });
    full.forEach((s, i) => expect(Math.abs(s - (want[i] as number))).toBeLessThan(1e-4));
  });

  it('rewrites in memory when no cached copy exists, naming the data folder to ONNX Runtime', () => {
    const plan = planGraph(join(external, 'onnx/model.onnx'), ['score-head:2152,9693']);
    expect(plan.rewrittenPath).toBeUndefined();
    expect(plan.externalDataDir).toBe(join(external, 'onnx'));
    expect(plan.rewrites).toEqual(['score-head:2152,9693']);
  });

  it('int8: the quantizer reads the external weights and gives the inline model\'s int8 scores', async () => {
    const a = join(work, 'a');
    const b = join(work, 'b');
    cpSync(inline, a, { recursive: true });
    cpSync(external, b, { recursive: true });
    const ra = await quantizeOnnxFile(join(a, 'onnx/model.onnx'), join(a, 'onnx/model_quantized.onnx'));
    const rb = await quantizeOnnxFile(join(b, 'onnx/model.onnx'), join(b, 'onnx/model_quantized.onnx'));
    expect(rb.quantized.map((q) => q.weight)).toEqual(ra.quantized.map((q) => q.weight));
    expect(rb.dataFile).toBeUndefined();
    const want = await served(a, { onnxFile: 'onnx/model_quantized.onnx' });
    const got = await served(b, { onnxFile: 'onnx/model_quantized.onnx' });
    expect(got).toEqual(want);
  });

  it('writes external data at 4 KiB-aligned offsets and reads any byte range of a tensor back', () => {
    const model = decodeModel(readFileSync(join(inline, 'onnx/model.onnx')));
    const table = (model.graph?.initializer ?? []).find((t) => t.name === 'model.embed_tokens.weight');
    const bytes = new Uint8Array(table?.rawData as Uint8Array);
    const out = join(work, 'written.onnx');
    const { dataFile } = encodeWithExternalData(model, out, { inlineLimit: 0 });
    expect(dataFile).toBe('written.onnx_data');
    for (const t of model.graph?.initializer ?? []) {
      const offset = Number((t.externalData ?? []).find((e) => e.key === 'offset')?.value ?? 0);
      expect(offset % 4096).toBe(0);
    }
    const moved = (model.graph?.initializer ?? []).find((t) => t.name === 'model.embed_tokens.weight');
    expect(Buffer.from(readTensorBytes(moved!, work, 9693 * 128, 128)).equals(Buffer.from(bytes.subarray(9693 * 128, 9694 * 128)))).toBe(true);
    expect(() => readTensorBytes({ ...moved!, externalData: [{ key: 'location', value: '../outside' }] }, work)).toThrow(/points outside its model folder/);
  });
});
