import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchBudget } from '../../../src/models/kinds/encoder-budgets.js';
import { crossEncoder } from '../../../src/models/kinds/index.js';
import { loadCrossEncoder } from '../../../src/models/kinds/cross-encoder.js';
import { ModelSession } from '../../../src/runtime/onnx-session.js';
import { forgeModel } from '../../../src/tools/forge/index.js';
import { decodeModel, encodeModel } from '../../../src/graph/onnx-proto.js';
import { compareGraphs } from '../../../src/tools/optimize/compare-graphs.js';
import { applyExportedRewrites, planGraph, quantizeOnnxFile } from '../../../src/graph/index.js';
import { tempDir } from '../forge/helpers.js';

const FIXTURES = path.resolve('test/fixtures/hf');
let root: Awaited<ReturnType<typeof tempDir>>;
let bert: string;
let xlmr: string;

/** The file with first-token-head applied, written next to the test's other files. */
async function rewritten(file: string, name: string): Promise<{ path: string; applied: number; reason: string | undefined }> {
  const model = decodeModel(await readFile(file));
  const [result] = applyExportedRewrites(model, ['first-token-head']).results;
  const out = path.join(root.dir, `${name}.onnx`);
  await writeFile(out, encodeModel(model));
  return { path: out, applied: result?.applied ?? 0, reason: result?.reason };
}

beforeAll(async () => {
  root = await tempDir('optimize-');
  bert = (await forgeModel({ out: path.join(root.dir, 'bert'), preset: 'tiny' })).dir;
  xlmr = (await forgeModel({ out: path.join(root.dir, 'xlmr'), preset: 'xlmr-tiny' })).dir;
  for (const dir of [bert, xlmr]) await quantizeOnnxFile(path.join(dir, 'onnx/model.onnx'), path.join(dir, 'onnx/model_quantized.onnx'));
});
afterAll(async () => root.cleanup());

describe('first-token-head', () => {
  it.each([
    ['forged BERT', () => bert],
    ['forged XLM-R', () => xlmr],
    ['the torch-exported XLM-R cross-encoder', () => path.join(FIXTURES, 'xlmr-cross-encoder')],
  ])('gives fp32 scores within 1e-4 of the unrewritten graph: %s', async (_name, dirOf) => {
    const dir = dirOf();
    const input = path.join(dir, 'onnx/model.onnx');
    const out = await rewritten(input, `fp32-${path.basename(dir)}`);
    expect(out.applied).toBeGreaterThan(0);
    const cmp = await compareGraphs({ dir, kind: 'cross-encoder', files: [input, out.path], queries: 1, rounds: 0, limits: batchBudget(crossEncoder.budgets, 'fp32') });
    expect(cmp.files[1]?.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  it.each([
    ['forged BERT', () => bert],
    ['forged XLM-R', () => xlmr],
  ])("keeps int8 scores within today's int8 drift of the unrewritten int8 graph: %s", async (_name, dirOf) => {
    const dir = dirOf();
    const int8 = path.join(dir, 'onnx/model_quantized.onnx');
    const out = await rewritten(int8, `int8-${path.basename(dir)}`);
    expect(out.applied).toBeGreaterThan(0);
    const cmp = await compareGraphs({ dir, kind: 'cross-encoder', files: [int8, out.path], reference: path.join(dir, 'onnx/model.onnx'), queries: 1, rounds: 0, limits: batchBudget(crossEncoder.budgets, 'int8') });
    const drift = cmp.files[0]?.maxAbsDiffToReference as number;
    expect(drift).toBeGreaterThan(0);
    expect(cmp.files[1]?.maxAbsDiff).toBeLessThanOrEqual(drift);
  });

  it('serves embedders unchanged and says why', async () => {
    const embedder = (await forgeModel({ out: path.join(root.dir, 'embed'), preset: 'embed-tiny' })).dir;
    for (const dir of [embedder, path.join(FIXTURES, 'bert-st-mean'), path.join(FIXTURES, 'xlmr-st-cls')]) {
      const plan = planGraph(path.join(dir, 'onnx/model.onnx'), ['first-token-head']);
      expect(plan).toEqual({ precision: 'fp32', rewrites: [], notes: [expect.stringMatching(/^first-token-head: no Gather of the first token .* \(an embedder\)/)], tokenRows: expect.any(Number) });
    }
  });

  it('does not apply twice', async () => {
    const once = await rewritten(path.join(bert, 'onnx/model.onnx'), 'once');
    const twice = await rewritten(once.path, 'twice');
    expect(twice).toMatchObject({ applied: 0, reason: expect.stringMatching(/^already applied/) });
  });

  it('is what ModelSession applies when asked, with the same scores', async () => {
    const spec = loadCrossEncoder(bert, {});
    const pairs = ['a short one', 'a somewhat longer document about nothing in particular'].map((d) => spec.encoder.encodePair(spec.encoder.encodeQuery('query words'), d, { direction: 'right', truncate: true }));
    const settings = { onnxPath: spec.folder.onnxPath, padId: spec.tokenizer.padId, head: spec.head, label: 'reranker', threads: 1 };
    const plain = await ModelSession.create(settings);
    const fast = await ModelSession.create({ ...settings, rewrites: planGraph(spec.folder.onnxPath, ['first-token-head']).rewrites });
    try {
      const [a, b] = [await plain.run(pairs), await fast.run(pairs)];
      b.data.forEach((v, i) => expect(Math.abs(v - (a.data[i] as number))).toBeLessThanOrEqual(1e-5));
    } finally {
      await plain.release();
      await fast.release();
    }
  });
});
