import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchBudget } from '../../../src/models/kinds/encoder-budgets.js';
import { crossEncoder, DEFAULT_REWRITES } from '../../../src/models/kinds/index.js';
import { forgeModel } from '../../../src/tools/forge/index.js';
import { decodeModel, encodeModel } from '../../../src/graph/onnx-proto.js';
import { compareGraphs } from '../../../src/tools/optimize/compare-graphs.js';
import { quantizeOnnxFile, REWRITES } from '../../../src/graph/index.js';
import { optimizeGraph } from '../../../src/tools/optimize/index.js';
import { tempDir } from '../forge/helpers.js';

/*
 * The rewrites that are off by default (they measured slower) must still be correct when asked
 * for: `reranker optimize --rewrites <name>` is how their timings are reproduced.
 */

let root: Awaited<ReturnType<typeof tempDir>>;
let dir: string;

beforeAll(async () => {
  root = await tempDir('fused-');
  dir = (await forgeModel({ out: path.join(root.dir, 'bert'), preset: 'tiny' })).dir;
  await quantizeOnnxFile(path.join(dir, 'onnx/model.onnx'), path.join(dir, 'onnx/model_quantized.onnx'));
});
afterAll(async () => root.cleanup());

async function variant(input: string, name: string): Promise<{ file: string; applied: number; reason: string | undefined }> {
  const result = await optimizeGraph(decodeModel(await readFile(input)), [name]);
  const r = result.results.find((x) => x.name === name);
  const file = path.join(root.dir, `${path.basename(input, '.onnx')}-${name}.onnx`);
  await writeFile(file, encodeModel(result.model));
  return { file, applied: r?.applied ?? 0, reason: r?.reason };
}

describe('fused-stage rewrites on a forged BERT', () => {
  const fused = REWRITES.filter((r) => r.stage === 'fused');

  it('are all off by default', () => {
    expect(fused.filter((r) => DEFAULT_REWRITES.includes(r.name))).toEqual([]);
  });

  it.each(fused.filter((r) => r.precisions.includes('fp32')).map((r) => r.name))('%s keeps fp32 outputs within 1e-4', async (name) => {
    const input = path.join(dir, 'onnx/model.onnx');
    const v = await variant(input, name);
    expect(v.applied).toBeGreaterThan(0);
    const cmp = await compareGraphs({ dir, kind: 'cross-encoder', files: [input, v.file], queries: 1, rounds: 0, limits: batchBudget(crossEncoder.budgets, 'fp32') });
    expect(cmp.files[1]?.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  async function int8Diff(name: string): Promise<{ diff: number; drift: number }> {
    const input = path.join(dir, 'onnx/model_quantized.onnx');
    const v = await variant(input, name);
    expect(v.applied).toBeGreaterThan(0);
    const cmp = await compareGraphs({ dir, kind: 'cross-encoder', files: [input, v.file], reference: path.join(dir, 'onnx/model.onnx'), queries: 1, rounds: 0, limits: batchBudget(crossEncoder.budgets, 'int8') });
    return { diff: cmp.files[1]?.maxAbsDiff as number, drift: cmp.files[0]?.maxAbsDiffToReference as number };
  }

  // The same integer GEMMs, scales and float ops in another arrangement: the int8 scores do not move.
  it.each(['multi-head-attention', 'qattention', 'packed-qkv-attention', 'bias-gelu'])('%s keeps int8 outputs within 1e-4', async (name) => {
    expect((await int8Diff(name)).diff).toBeLessThanOrEqual(1e-4);
  });

  it.each(['skip-layer-norm', 'fast-gelu'])("%s keeps int8 outputs within today's int8 drift", async (name) => {
    const { diff, drift } = await int8Diff(name);
    expect(diff).toBeLessThanOrEqual(drift);
  });

  // It re-quantizes the attention probabilities per tensor, an error of the order of today's whole
  // int8 drift (over it on this tiny model, under it on MiniLM-L6): one more reason it is off.
  it('int8-attention-core moves int8 scores by about as much as quantization itself', async () => {
    const { diff, drift } = await int8Diff('int8-attention-core');
    expect(diff).toBeGreaterThan(1e-3);
    expect(diff).toBeLessThan(2 * drift);
  });

  it('int8-only rewrites leave an fp32 graph alone, saying so', async () => {
    const v = await variant(path.join(dir, 'onnx/model.onnx'), 'qattention');
    expect(v).toMatchObject({ applied: 0, reason: 'only for int8 graphs; this one is fp32' });
  });

  it("leave a torch export's attention alone when its mask is not (1 - mask) x fill", async () => {
    const v = await variant(path.resolve('test/fixtures/hf/xlmr-cross-encoder/onnx/model.onnx'), 'multi-head-attention');
    expect(v).toMatchObject({ applied: 0, reason: expect.stringMatching(/mask/) });
  });
});
