import { ModelSession } from '../src/runtime/onnx-session.js';
import { batchFlops, type Architecture } from './flops.js';
import type { RunResult } from './stats.js';
import type { BenchWorkload } from './workload.js';

/**
 * The baseline most hand-written integrations end up with: tokenize, pad all 100 pairs of a query
 * to the longest, one session.run. Same tokenizer and session settings as the service, so the gap
 * to it is batching alone.
 */
export async function runPlainOrt(work: BenchWorkload, onnxPath: string, dtype: RunResult['dtype'], arch: Architecture): Promise<RunResult> {
  const { spec } = work;
  const session = await ModelSession.create({ onnxPath, head: spec.head, padId: spec.tokenizer.padId, label: 'reranker' });
  const truncation = { direction: 'right' as const, truncate: true };
  const encode = (q: { query: string; documents: string[] }) => {
    const queryIds = spec.encoder.encodeQuery(q.query);
    return q.documents.map((d) => spec.encoder.encodePair(queryIds, d, truncation));
  };
  try {
    const first = work.queries[0];
    if (first) await session.run(encode(first));
    const latencies: number[] = [];
    let computedTokens = 0;
    let flops = 0;
    const started = performance.now();
    for (const q of work.queries) {
      const t0 = performance.now();
      await session.run(encode(q));
      latencies.push((performance.now() - t0) / 1000);
      const seqLen = Math.max(...q.pairLengths);
      computedTokens += q.pairLengths.length * seqLen;
      flops += batchFlops(arch, q.pairLengths.length, seqLen);
    }
    const seconds = (performance.now() - started) / 1000;
    return { contender: 'onnxruntime-node, one padded batch of 100', dtype, pairs: work.pairs, seconds, latencies, realTokens: work.realTokens, computedTokens, flops };
  } finally {
    await session.release();
  }
}
