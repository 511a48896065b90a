import path from 'node:path';
import { batchFlops, type Architecture } from './flops.js';
import type { RunResult } from './stats.js';
import type { BenchWorkload } from './workload.js';

interface MaskTensor {
  data: ArrayLike<bigint | number>;
  dims: number[];
}

/**
 * transformers.js the way its docs rerank: tokenizer(queries, { text_pair: docs, padding, truncation })
 * then the model on the padded batch, one query (100 pairs) per call. dtype 'q8' makes it load
 * onnx/model_quantized.onnx, the file the quantize command writes.
 */
export async function runTransformersJs(work: BenchWorkload, modelDir: string, dtype: RunResult['dtype'], arch: Architecture): Promise<RunResult> {
  const { AutoModelForSequenceClassification, AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${path.dirname(path.resolve(modelDir))}${path.sep}`;
  const name = path.basename(path.resolve(modelDir));
  const tokenizer = await AutoTokenizer.from_pretrained(name);
  const model = await AutoModelForSequenceClassification.from_pretrained(name, { dtype: dtype === 'fp32' ? 'fp32' : 'q8', device: 'cpu' });
  const score = async (q: { query: string; documents: string[] }): Promise<MaskTensor> => {
    const inputs = tokenizer(new Array<string>(q.documents.length).fill(q.query), { text_pair: q.documents, padding: true, truncation: true });
    const out = (await model(inputs)) as { logits?: unknown };
    if (out.logits === undefined) throw new Error('transformers.js returned no logits');
    return inputs.attention_mask;
  };
  try {
    const first = work.queries[0];
    if (first) await score(first);
    const latencies: number[] = [];
    let computedTokens = 0;
    let realTokens = 0;
    let flops = 0;
    const started = performance.now();
    for (const q of work.queries) {
      const t0 = performance.now();
      const mask = await score(q);
      latencies.push((performance.now() - t0) / 1000);
      const [rows = 0, seqLen = 0] = mask.dims;
      computedTokens += rows * seqLen;
      for (let i = 0; i < mask.data.length; i++) realTokens += Number(mask.data[i]);
      flops += batchFlops(arch, rows, seqLen);
    }
    const seconds = (performance.now() - started) / 1000;
    return { contender: 'transformers.js, one padded batch of 100', dtype, pairs: work.pairs, seconds, latencies, realTokens, computedTokens, flops };
  } finally {
    await model.dispose();
  }
}
