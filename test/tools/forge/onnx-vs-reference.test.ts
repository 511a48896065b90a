import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeModel, type ForgeOptions } from '../../../src/tools/forge/index.js';
import { loadReference } from '../../support/bert-reference.js';
import { encodePairs, loadTokenizer, maxAbsDiff, runOnnx, std, tempDir, TEXT_PAIRS } from './helpers.js';

// Three pairs of clearly different lengths, so the batch needs real padding.
const PAIRS: Array<[string, string]> = [
  ['short query', 'tiny doc'],
  ['what is the capital of france', 'Paris is the capital and most populous city of France, on the Seine.'],
  ['why', 'Because the sky scatters blue light more than red light.'],
];

let root: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  root = await tempDir('forge-ref-');
});
afterAll(async () => root.cleanup());

async function forgeAndCompare(name: string, opts: Omit<ForgeOptions, 'out'>, pairs = PAIRS) {
  const forged = await forgeModel({ ...opts, out: path.join(root.dir, name) });
  const tok = await loadTokenizer(forged.dir);
  const batch = encodePairs(tok, pairs);
  const ref = await loadReference(forged.dir, forged.onnxFile);
  const expected = ref.logits(ref.hasTokenTypeIds ? batch : { ...batch, tokenTypeIds: undefined });
  const actual = await runOnnx(forged.onnxFile, batch);
  return { forged, tok, batch, ref, expected, actual };
}

describe('forged ONNX vs float64 reference', () => {
  it('tiny: padded batch matches within 1e-4', async () => {
    const { batch, expected, actual, ref } = await forgeAndCompare('tiny', { maxPositions: 64 });
    expect(batch.attentionMask.some((row) => row.includes(0))).toBe(true);
    expect(actual).toHaveLength(3);
    expect(actual.every((row) => row.length === 1)).toBe(true);
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-4);
    // Padding must not change a row's score: compare with the unpadded row alone.
    for (let b = 0; b < batch.inputIds.length; b++) {
      const len = batch.attentionMask[b]!.filter((m) => m === 1).length;
      const single = ref.logits({
        inputIds: [batch.inputIds[b]!.slice(0, len)],
        attentionMask: [batch.attentionMask[b]!.slice(0, len)],
        tokenTypeIds: [batch.tokenTypeIds[b]!.slice(0, len)],
      });
      expect(maxAbsDiff(single, [expected[b]!])).toBeLessThan(1e-9);
    }
  });

  it('numLabels 2 outputs [B, 2] matching the reference', async () => {
    const { expected, actual } = await forgeAndCompare('two-labels', { numLabels: 2, maxPositions: 64 });
    expect(actual.map((r) => r.length)).toEqual([2, 2, 2]);
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-4);
  });

  it('tokenTypeIds=false uses segment 0 everywhere', async () => {
    const { expected, actual, ref } = await forgeAndCompare('no-token-types', { tokenTypeIds: false, maxPositions: 64 });
    expect(ref.hasTokenTypeIds).toBe(false);
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-4);
  });

  it('minilm-l6 matches on a short batch', async () => {
    const { expected, actual } = await forgeAndCompare('minilm', { preset: 'minilm-l6', maxPositions: 128 }, PAIRS.slice(0, 2));
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-4);
  });
});

describe('logit spread on real text', () => {
  for (const preset of ['tiny', 'minilm-l6'] as const) {
    it(`${preset}: 20 pairs give distinct logits with std >= 0.5`, async () => {
      const forged = await forgeModel({ out: path.join(root.dir, `spread-${preset}`), preset, maxPositions: 64 });
      const batch = encodePairs(await loadTokenizer(forged.dir), TEXT_PAIRS);
      const logits = (await runOnnx(forged.onnxFile, batch)).map((r) => r[0]!);
      expect(logits).toHaveLength(20);
      expect(std(logits)).toBeGreaterThanOrEqual(0.5);
      expect(new Set(logits).size).toBe(20);
    });
  }
});
