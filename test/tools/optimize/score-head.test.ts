import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../../src/graph/onnx-proto.js';
import { runRewrite } from '../../../src/graph/rewrites/apply.js';
import { forgedDecoder } from '../../support/forged-model.js';

/** Three right-padded sequences of different lengths, as the service batches them. */
const SEQUENCES = [
  [151644, 8948, 198, 60256, 3425, 279, 9395],
  [151644, 872, 198, 9693],
  [151644, 8948, 198, 2152, 11, 3425, 279, 9395, 13, 220, 151645],
];
const VOCAB = 151669;

async function run(model: Uint8Array): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(model);
  const seq = Math.max(...SEQUENCES.map((s) => s.length));
  const b = SEQUENCES.length;
  const ids = new BigInt64Array(b * seq).fill(151643n);
  const mask = new BigInt64Array(b * seq);
  const positions = new BigInt64Array(b * seq);
  SEQUENCES.forEach((s, row) => s.forEach((id, i) => ((ids[row * seq + i] = BigInt(id)), (mask[row * seq + i] = 1n))));
  for (let row = 0; row < b; row++) for (let i = 0; i < seq; i++) positions[row * seq + i] = BigInt(i);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [b, seq]),
    attention_mask: new ort.Tensor('int64', mask, [b, seq]),
    position_ids: new ort.Tensor('int64', positions, [b, seq]),
  };
  for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.'))) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [b, 2, 0, 16]);
  const out = (await session.run(feeds, ['logits']))['logits'] as ort.Tensor;
  await session.release();
  return out;
}

/** The full graph's logits of `rows` at each sequence's last real token. */
function lastTokenRows(full: ort.Tensor, rows: number[]): number[][] {
  const data = full.data as Float32Array;
  const seq = full.dims[1] as number;
  return SEQUENCES.map((s, i) => rows.map((r) => data[(i * seq + s.length - 1) * VOCAB + r] as number));
}

describe('score-head rewrite', () => {
  for (const tied of [true, false]) {
    it(`${tied ? 'tied embeddings' : 'a separate lm_head'}: two columns at the last real token equal the full head's (1e-5)`, async () => {
      const dir = await forgedDecoder({ tieWordEmbeddings: tied });
      const bytes = readFileSync(join(dir, 'onnx/model.onnx'));
      const full = await run(bytes);
      expect(full.dims).toEqual([3, 11, VOCAB]);
      const model = decodeModel(bytes);
      expect(runRewrite(model, 'score-head:2152,9693', 'fp32')).toMatchObject({ applied: 1 });
      const rewritten = encodeModel(model);
      // The head's rows are gone from the file when they were its own (untied): only two columns stay.
      if (!tied) expect(rewritten.byteLength).toBeLessThan(bytes.byteLength / 1.5);
      const two = await run(rewritten);
      expect(two.dims).toEqual([3, 2]);
      const want = lastTokenRows(full, [2152, 9693]);
      want.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(((two.data as Float32Array)[i * 2 + j] as number) - v)).toBeLessThan(1e-5)));
      // Once is enough: a second pass says so instead of gathering twice.
      expect(runRewrite(model, 'score-head:2152,9693', 'fp32')).toMatchObject({ applied: 0, reason: expect.stringMatching(/already applied/) });
    });
  }

  it('without rows, keeps the whole vocabulary at the last token', async () => {
    const bytes = readFileSync(join(await forgedDecoder(), 'onnx/model.onnx'));
    const full = await run(bytes);
    const model = decodeModel(bytes);
    expect(runRewrite(model, 'score-head', 'fp32').applied).toBe(1);
    const last = await run(encodeModel(model));
    expect(last.dims).toEqual([3, VOCAB]);
    const want = lastTokenRows(full, [0, 9693, VOCAB - 1]);
    want.forEach((row, i) => [0, 9693, VOCAB - 1].forEach((r, j) => expect(Math.abs(((last.data as Float32Array)[i * VOCAB + r] as number) - (row[j] as number))).toBeLessThan(1e-5)));
  });

  it('leaves a graph it does not recognise as it is, and says why', async () => {
    const model = decodeModel(readFileSync(join(await forgedDecoder(), 'onnx/model.onnx')));
    const head = model.graph?.node?.find((n) => n.output?.includes('logits'));
    if (head === undefined || head === null) throw new Error('no head');
    head.opType = 'Gemm';
    expect(runRewrite(model, 'score-head:2152,9693', 'fp32')).toMatchObject({ applied: 0, reason: expect.stringMatching(/logits come from Gemm/) });
    expect(runRewrite(decodeModel(readFileSync(join(await forgedDecoder(), 'onnx/model.onnx'))), 'score-head:2152,999999', 'fp32')).toMatchObject({ applied: 0, reason: expect.stringMatching(/past the head's 151669 rows/) });
  });
});
