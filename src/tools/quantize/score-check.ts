import { planBatches } from '../../engine/batch-plan.js';
import { KINDS } from '../../models/kinds/index.js';
import { loadModel } from '../../models/registry.js';
import { ModelSession } from '../../runtime/onnx-session.js';
import { createEncoder } from '../../text/encoders.js';
import { packTexts } from '../../text/packed-texts.js';
import type { EncodedPair } from '../../text/pair-encoder.js';
import { kendallTauB, spearman, topKOverlap } from './rank-agreement.js';
import { generateWorkload, wordsFromTokenizerJson } from './synthetic-workload.js';
import { NO_PROGRESS, type Progress } from '../progress.js';

export interface ScoreCheckOptions {
  /** Model folder. */
  dir: string;
  /** ONNX files relative to the folder. */
  referenceFile: string;
  candidateFile: string;
  queries?: number;
  docsPerQuery?: number;
  seed?: number;
  threads?: number | undefined;
  topK?: number;
  /** Makes the progress report, given the queries ahead. */
  progress?: (total: number) => Progress;
}

export interface Spread {
  mean: number;
  min: number;
}

export interface ScoreCheckResult {
  queries: number;
  pairs: number;
  /** Of raw scores (the logit for one-label models). */
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Standard deviation of the reference's raw scores: the scale to read the differences against. */
  referenceStd: number;
  /** Per query, over its candidates. */
  spearman: Spread;
  kendall: Spread;
  topK: number;
  topKOverlap: Spread;
  referencePairsPerSecond: number;
  candidatePairsPerSecond: number;
}

function spread(values: number[]): Spread {
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values) };
}

/** Batches as the service forms them, so int8's per-batch activation ranges match production. */
const BATCH_LIMITS = { maxBatchSize: 32, maxBatchTokens: 16384 };

interface QueryRun {
  scores: Float32Array;
  seconds: number;
}

async function scoreQuery(session: ModelSession, pairs: EncodedPair[]): Promise<QueryRun> {
  const started = performance.now();
  const scores = new Float32Array(pairs.length);
  for (const batch of planBatches(pairs.map((p) => p.ids.length), BATCH_LIMITS)) {
    const out = await session.run(batch.map((i) => pairs[i] as EncodedPair));
    batch.forEach((pairIndex, row) => (scores[pairIndex] = out.data[row] as number));
  }
  return { scores, seconds: (performance.now() - started) / 1000 };
}

/**
 * Scores one generated workload with two ONNX files of the same model and measures how far the
 * candidate moves from the reference. Queries alternate which file runs first so that a noisy
 * machine slows both alike; the timings are a side product, not a benchmark.
 */
export async function checkScores(opts: ScoreCheckOptions): Promise<ScoreCheckResult> {
  // Whatever kind the folder is (a cross-encoder, a decoder reranker), read and run as the service does it,
  // with the rewrites it applies at load (a decoder's full LM head would not fit a batch's logits in memory).
  const load = (onnxFile: string) => loadModel('reranker', KINDS, opts.dir, { onnxFile }, { graphRewrites: true, limits: {} });
  const reference = load(opts.referenceFile);
  const spec = reference.spec;
  const encoder = createEncoder(reference.kind.encoder(spec), spec.tokenizer);
  const session = (model: ReturnType<typeof load>) =>
    ModelSession.create({ ...model.engine.session, padId: spec.tokenizer.padId, threads: opts.threads, label: 'reranker' });
  const referenceSession = await session(reference);
  const candidateSession = await session(load(opts.candidateFile));
  const encodePairs = (query: string, documents: string[]): EncodedPair[] => encoder.encodeJob({ kind: 'pairs', query, documents: packTexts(documents), truncation: { direction: 'right', truncate: true } });
  let progress: Progress = NO_PROGRESS;
  try {
    const k = opts.topK ?? 10;
    const workload = generateWorkload(wordsFromTokenizerJson(spec.folder.tokenizerJson), {
      queries: opts.queries ?? 20,
      docsPerQuery: opts.docsPerQuery ?? 100,
      seed: opts.seed ?? 1,
    });
    // ONNX Runtime sets up lazily on the first run; keep that out of both timings.
    const warm = encodePairs('warm up', ['warm up the session']);
    await referenceSession.run(warm);
    await candidateSession.run(warm);

    let maxAbsDiff = 0;
    let sumAbsDiff = 0;
    let pairs = 0;
    let sum = 0;
    let sumSquares = 0;
    let referenceSeconds = 0;
    let candidateSeconds = 0;
    progress = opts.progress?.(workload.length) ?? NO_PROGRESS;
    const rho: number[] = [];
    const tau: number[] = [];
    const overlap: number[] = [];
    for (const [q, item] of workload.entries()) {
      const encoded = encodePairs(item.query, item.documents);
      let a: QueryRun;
      let b: QueryRun;
      if (q % 2 === 0) {
        a = await scoreQuery(referenceSession, encoded);
        b = await scoreQuery(candidateSession, encoded);
      } else {
        b = await scoreQuery(candidateSession, encoded);
        a = await scoreQuery(referenceSession, encoded);
      }
      referenceSeconds += a.seconds;
      candidateSeconds += b.seconds;
      for (let i = 0; i < encoded.length; i++) {
        const d = Math.abs((a.scores[i] as number) - (b.scores[i] as number));
        maxAbsDiff = Math.max(maxAbsDiff, d);
        sumAbsDiff += d;
        sum += a.scores[i] as number;
        sumSquares += (a.scores[i] as number) ** 2;
      }
      pairs += encoded.length;
      progress.tick();
      rho.push(spearman(a.scores, b.scores));
      tau.push(kendallTauB(a.scores, b.scores));
      overlap.push(topKOverlap(a.scores, b.scores, k));
    }
    return {
      queries: workload.length,
      pairs,
      maxAbsDiff,
      meanAbsDiff: sumAbsDiff / pairs,
      referenceStd: Math.sqrt(Math.max(0, sumSquares / pairs - (sum / pairs) ** 2)),
      spearman: spread(rho),
      kendall: spread(tau),
      topK: k,
      topKOverlap: spread(overlap),
      referencePairsPerSecond: pairs / referenceSeconds,
      candidatePairsPerSecond: pairs / candidateSeconds,
    };
  } finally {
    progress.stop();
    await referenceSession.release();
    await candidateSession.release();
  }
}
