import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantizeOnnxFile } from '../../../src/graph/quantize/quantize-file.js';
import { KINDS } from '../../../src/models/kinds/index.js';
import { loadModel } from '../../../src/models/registry.js';
import { checkScores } from '../../../src/tools/quantize/score-check.js';
import { forgedDecoder } from '../../support/forged-model.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quantize-decoder-'));
  cpSync(await forgedDecoder(), dir, { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('int8 on a decoder reranker (issue 20)', () => {
  it('quantizes the decoder\'s projections, loads with the score-head rewrite, and ranks as fp32 does', async () => {
    const result = await quantizeOnnxFile(join(dir, 'onnx/model.onnx'), join(dir, 'onnx/model_quantized.onnx'));
    // q, k, v, o, gate, up and down per layer; the tied LM head (a Transpose of the embeddings) stays fp32.
    expect(result.quantized).toHaveLength(2 * 7);
    const int8 = loadModel('reranker', KINDS, dir, { onnxFile: 'onnx/model_quantized.onnx' }, { graphRewrites: true, limits: {} });
    expect(int8.precision).toBe('int8');
    expect(int8.engine.session.rewrites).toEqual(['score-head:2152,9693']);
    const check = await checkScores({ dir, referenceFile: 'onnx/model.onnx', candidateFile: 'onnx/model_quantized.onnx', queries: 4, docsPerQuery: 20 });
    expect(check.pairs).toBe(80);
    expect(Number.isFinite(check.maxAbsDiff)).toBe(true);
    expect(check.maxAbsDiff).toBeGreaterThan(0);
    expect(check.spearman.mean).toBeGreaterThan(0.8);
  });
});
