import path from 'node:path';
import { ensureDecoder, decoderWorkload, rerank } from './decoder.js';
import { startService } from './service-contender.js';
import { percentile } from './stats.js';
import { COMPUTE_THREAD_NICE } from '../src/engine/thread-priority.js';
import { INTERACTIVE_NICE } from '../src/engine/worker-lanes.js';

/**
 * Fair sharing (issue 21): one service with MiniLM-L6 and the forged Qwen3-Reranker-0.6B (int8), a
 * MiniLM client's latency while four clients keep the LLM saturated, against its latency alone,
 * and the LLM's throughput under that mix against its throughput alone. Goals: p50 at most 2x,
 * throughput at least 70%.
 */
/** One MiniLM client's latencies alone and beside the saturated LLM, and the LLM's pairs/s beside it. */
export interface FairnessRun {
  minilmAlone: number[];
  minilmMixed: number[];
  llmMixed: number;
}

export interface FairnessReport {
  llmAlone: number;
  /** A client that sends its next request a period after the last one began (or at once, if it took longer). */
  paced: FairnessRun;
  /** A client that sends its next request as soon as the last one answers. */
  closed: FairnessRun;
  periodMs: number;
  seconds: number;
  llmPairsPerRequest: number;
  minilmDocs: number;
}

const LLM_CLIENTS = 4;
const LLM_PAIRS = 2;
const MINILM_DOCS = 20;
/** The paced client: a search a second, as one user's queries or a light interactive service send them. */
const PERIOD_MS = 1000;

/** `send` again `periodMs` after the last one began (0: as soon as it answers), until the deadline; each latency in ms. */
async function loop(deadline: number, send: () => Promise<unknown>, periodMs = 0): Promise<number[]> {
  const latencies: number[] = [];
  while (performance.now() < deadline) {
    const started = performance.now();
    await send();
    const ended = performance.now();
    if (ended <= deadline) latencies.push(ended - started);
    const rest = started + periodMs - ended;
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(rest, Math.max(0, deadline - ended))));
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
    const llmRate = async (): Promise<number> => {
      const deadline = performance.now() + window;
      const counts = await Promise.all(Array.from({ length: LLM_CLIENTS }, () => loop(deadline, llm)));
      return (counts.reduce((n, c) => n + c.length, 0) * LLM_PAIRS) / o.seconds;
    };
    const run = async (periodMs: number, name: string): Promise<FairnessRun> => {
      o.log(`fairness: ${name} MiniLM client alone, ${o.seconds} s`);
      const minilmAlone = await loop(performance.now() + window, minilm, periodMs);
      o.log(`fairness: ${name} MiniLM client beside ${LLM_CLIENTS} LLM clients, ${o.seconds} s`);
      const [llmMixed, minilmMixed] = await Promise.all([llmRate(), loop(performance.now() + window, minilm, periodMs)]);
      return { minilmAlone, minilmMixed, llmMixed };
    };
    o.log(`fairness: the LLM alone, ${LLM_CLIENTS} clients, ${o.seconds} s`);
    const llmAlone = await llmRate();
    const paced = await run(PERIOD_MS, 'paced');
    const closed = await run(0, 'closed-loop');
    return { llmAlone, paced, closed, periodMs: PERIOD_MS, seconds: o.seconds, llmPairsPerRequest: LLM_PAIRS, minilmDocs: MINILM_DOCS };
  } finally {
    await service.stop();
  }
}

export function renderFairness(r: FairnessReport): string[] {
  const p = (xs: number[], q: number) => percentile(xs, q);
  const rows = (name: string, x: FairnessRun): string[] => [
    `| ${name}: MiniLM request p50 (ms) | ${p(x.minilmAlone, 50).toFixed(1)} | ${p(x.minilmMixed, 50).toFixed(1)} | ${(p(x.minilmMixed, 50) / p(x.minilmAlone, 50)).toFixed(2)}x | at most 2x |`,
    `| ${name}: MiniLM request p99 (ms) | ${p(x.minilmAlone, 99).toFixed(1)} | ${p(x.minilmMixed, 99).toFixed(1)} | ${(p(x.minilmMixed, 99) / p(x.minilmAlone, 99)).toFixed(2)}x | - |`,
    `| ${name}: LLM pairs/s | ${r.llmAlone.toFixed(2)} | ${x.llmMixed.toFixed(2)} | ${((x.llmMixed / r.llmAlone) * 100).toFixed(0)}% | at least 70% |`,
  ];
  return [
    `### Fair sharing: MiniLM-L6 (fp32) beside the forged Qwen3-Reranker-0.6B (int8) in one service`,
    '',
    `${LLM_CLIENTS} closed-loop clients send the LLM requests of ${r.llmPairsPerRequest} pairs of ~300 tokens; one MiniLM client sends requests of ${r.minilmDocs} passages of ~60 words, either one every ${r.periodMs / 1000} s (paced: the next ${r.periodMs} ms after the last began, at once if it took longer) or as soon as the last answers (closed loop); ${r.seconds} s per phase.`,
    '',
    '| | alone | with the other at once | ratio | goal |',
    '|---|---|---|---|---|',
    ...rows('paced', r.paced),
    ...rows('closed loop', r.closed),
    '',
    `- MiniLM requests alone / beside the LLM: paced ${r.paced.minilmAlone.length} / ${r.paced.minilmMixed.length}, closed loop ${r.closed.minilmAlone.length} / ${r.closed.minilmMixed.length}. The policy (engine/worker-lanes.ts): beside a decoder, the other models have workers of their own (as many as the decoder's) at a higher thread priority (nice ${INTERACTIVE_NICE} against ${COMPUTE_THREAD_NICE}), so the kernel gives the cores to a cheap batch while it runs and to the LLM otherwise.`,
  ];
}
