import { batchExtent, type EncodedSequence } from '../text/sequence.js';

export interface BatchTensors {
  batch: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** Real tokens in the batch, for padding accounting. */
  realTokens: number;
}

/** Right-pads a batch to its longest pair; ONNX exports of HF models take int64 inputs. */
export function buildBatchTensors(pairs: readonly EncodedSequence[], padId: number): BatchTensors {
  const { longest: seqLen, real: realTokens } = batchExtent(pairs);
  const n = pairs.length * seqLen;
  const inputIds = new BigInt64Array(n).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(n);
  const tokenTypeIds = new BigInt64Array(n);
  pairs.forEach((p, row) => {
    const base = row * seqLen;
    for (let i = 0; i < p.ids.length; i++) {
      inputIds[base + i] = BigInt(p.ids[i] as number);
      attentionMask[base + i] = 1n;
      tokenTypeIds[base + i] = BigInt(p.typeIds[i] as number);
    }
  });
  return { batch: pairs.length, seqLen, inputIds, attentionMask, tokenTypeIds, realTokens };
}
