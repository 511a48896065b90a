import path from 'node:path';
import { ensureDecoder, decoderWorkload, rerank } from './decoder.js';
import { startService } from './service-contender.js';
import { percentile } from './stats.js';

/**
 * Fair sharing (issue 21): one service with MiniLM-L6 and the forged Qwen3-Reranker-0.6B (int8), a
 * MiniLM client's latency while four clients keep the LLM saturated, against its latency alone,
 * and the LLM's throughput under that mix against its throughput alone. Goals: p50 at most 2x,
 * throughput at least 70%.
 */
export interface FairnessReport {
  minilmAlone: number[];
  minilmMixed: number[];
  llmAlone: number;
  llmMixed: number;
  seconds: number;
  llmPairsPerRequest: number;
  minilmDocs: number;
}

const LLM_CLIENTS = 4;
const LLM_PAIRS = 2;
const MINILM_DOCS = 20;

/** Closed-loop: `send` again as soon as it answers, until the deadline; each latency in ms. */
async function loop(deadline: number, send: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  while (performance.now() < deadline) {
    const started = performance.now();
    await send();
    if (performance.now() <= deadline) latencies.push(performance.now() - started);
  }
  return latencies;
}

export async function runFairnessBench(o: { minilmDir: string; decoderDir: string; wordsFrom: string; seconds: number; log: (m: string) => void }): Promise<FairnessReport> {
  await ensureDecoder(o.decoderDir, o.log);
  const llmWork = decoderWorkload(o.wordsFrom, LLM_PAIRS, 11);
  const short = decoderWorkload(o.wordsFrom, MINILM_DOCS, 12);
  // MiniLM's documents: passages of ~60 words, as a first stage returns them.
  const minilmWork = { query: short.query, documents: short.documents.map((d) => d.split(' ').slice(0, 60).join(' ')) };
  const service = await startService(`${path.resolve(o.minilmDir)},${path.resolve(o.decoderDir)}`, ',onnx/model_quantized.onnx', ['--served-model-name', 'minilm,qwen', '--max-queue-ms', '900000']);
  try {
    const minilm = () => rerank(service.url, { ...minilmWork, model: 'minilm' });
    const llm = () => rerank(service.url, { ...llmWork, model: 'qwen' });
    await minilm();
    await llm();
    const window = o.seconds * 1000;
    o.log(`fairness: MiniLM alone, ${o.seconds} s`);
    const minilmAlone = await loop(performance.now() + window, minilm);
    const llmRate = async (): Promise<number> => {
      const deadline = performance.now() + window;
      const counts = await Promise.all(Array.from({ length: LLM_CLIENTS }, () => loop(deadline, llm)));
      return (counts.reduce((n, c) => n + c.length, 0) * LLM_PAIRS) / o.seconds;
    };
    o.log(`fairness: the LLM alone, ${LLM_CLIENTS} clients, ${o.seconds} s`);
    const llmAlone = await llmRate();
    o.log('fairness: both at once');
    const [llmMixed, minilmMixed] = await Promise.all([llmRate(), loop(performance.now() + window, minilm)]);
    return { minilmAlone, minilmMixed, llmAlone, llmMixed, seconds: o.seconds, llmPairsPerRequest: LLM_PAIRS, minilmDocs: MINILM_DOCS };
  } finally {
    await service.stop();
  }
}

export function renderFairness(r: FairnessReport): string[] {
  const p = (xs: number[], q: number) => percentile(xs, q);
  const p50 = p(r.minilmMixed, 50) / p(r.minilmAlone, 50);
  const share = r.llmMixed / r.llmAlone;
  return [
    `### Fair sharing: MiniLM-L6 (fp32) beside the forged Qwen3-Reranker-0.6B (int8) in one service`,
    '',
    `${LLM_CLIENTS} closed-loop clients send the LLM requests of ${r.llmPairsPerRequest} pairs of ~300 tokens; one closed-loop client sends MiniLM requests of ${r.minilmDocs} passages of ~60 words; ${r.seconds} s per phase.`,
    '',
    '| | alone | with the other at once | ratio | goal |',
    '|---|---|---|---|---|',
    `| MiniLM request p50 (ms) | ${p(r.minilmAlone, 50).toFixed(1)} | ${p(r.minilmMixed, 50).toFixed(1)} | ${p50.toFixed(2)}x | at most 2x |`,
    `| MiniLM request p99 (ms) | ${p(r.minilmAlone, 99).toFixed(1)} | ${p(r.minilmMixed, 99).toFixed(1)} | ${(p(r.minilmMixed, 99) / p(r.minilmAlone, 99)).toFixed(2)}x | - |`,
    `| LLM pairs/s | ${r.llmAlone.toFixed(2)} | ${r.llmMixed.toFixed(2)} | ${(share * 100).toFixed(0)}% | at least 70% |`,
    '',
    `- MiniLM requests: ${r.minilmAlone.length} alone, ${r.minilmMixed.length} beside the LLM. The policy: with a long-batch model (a decoder) among others, the pool has one worker more than the cores call for and the decoder runs on at most as many as the cores call for (engine/create-engine.ts, fairShare).`,
  ];
}
