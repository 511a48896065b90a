import { existsSync } from 'node:fs';
import path from 'node:path';
import { planBatches, type BatchLimits } from '../../engine/batch-plan.js';
import { kindNamed } from '../../models/kinds/index.js';
import { ModelSession, type HeadSettings } from '../../runtime/onnx-session.js';
import type { EncodeJob } from '../../text/encode-job.js';
import { createEncoder } from '../../text/encoders.js';
import type { EncodedSequence } from '../../text/sequence.js';
import { generateWorkload, wordsFromTokenizerJson } from '../quantize/synthetic-workload.js';
import { packTexts } from '../../text/packed-texts.js';
import { NO_PROGRESS, type Progress } from '../progress.js';

export interface CompareOptions {
  /** Model folder; its tokenizer encodes the workload. */
  dir: string;
  /** The model kind's name (models/kinds/). */
  kind: string;
  /** ONNX files to compare; the first is the one the others are measured against. */
  files: string[];
  /** Also compare every file with this one (an int8 file's fp32 original: today's int8 drift). */
  reference?: string | undefined;
  queries: number;
  /** Interleaved timing rounds over the whole workload; 0 compares outputs only. */
  rounds: number;
  threads?: number | undefined;
  seed?: number;
  limits: BatchLimits;
  /** Makes the progress report, given the query runs ahead: every file once to compare outputs, then each round's timed runs. */
  progress?: (total: number) => Progress;
}

export interface FileComparison {
  file: string;
  /** Largest |difference| of any output value (raw score or vector component) from the first file's. */
  maxAbsDiff: number;
  /** The same against `reference`, when given. */
  maxAbsDiffToReference: number | undefined;
  /** The first file's CPU time over this file's, per round (process CPU time: other load on the machine barely moves it). */
  speedups: number[];
  sequencesPerCpuSecond: number | undefined;
}

export interface CompareResult {
  sequences: number;
  batches: number;
  files: FileComparison[];
}

/**
 * The workload's batches, one list per query, as the service would cut them: each query against
 * 100 documents for a kind that reads pairs, the query and 99 documents as texts for one that
 * reads single texts.
 */
function workloadBatches(opts: CompareOptions): { head: HeadSettings; padId: number; queries: EncodedSequence[][][] } {
  const truncation = { direction: 'right' as const, truncate: true };
  const kind = kindNamed(opts.kind);
  const spec = kind.load(opts.dir, { onnxFile: path.relative(opts.dir, opts.files[0] ?? '') });
  const encoder = createEncoder(kind.encoder(spec), spec.tokenizer);
  const items = generateWorkload(wordsFromTokenizerJson(spec.folder.tokenizerJson), { queries: opts.queries, docsPerQuery: 100, seed: opts.seed ?? 1 });
  const queries = items.map((item) => {
    const job: EncodeJob = kind.warmUp.kind === 'pairs' ? { kind: 'pairs', query: item.query, documents: packTexts(item.documents), truncation } : { kind: 'texts', texts: packTexts([item.query, ...item.documents.slice(1)]), truncation };
    const sequences = encoder.encodeJob(job);
    return planBatches(sequences.map((p) => p.ids.length), opts.limits).map((b) => b.map((i) => sequences[i] as EncodedSequence));
  });
  return { head: kind.sessionHead(spec), padId: spec.tokenizer.padId, queries };
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => {
    const y = b[i] as Float32Array;
    for (let j = 0; j < x.length; j++) m = Math.max(m, Math.abs((x[j] as number) - (y[j] as number)));
  });
  return m;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/**
 * Runs several ONNX files of one model on the same generated workload, in the service's batches:
 * how far each one's outputs are from the first file's, and (rounds > 0) how fast each runs
 * against it. Each file runs right next to the first, query by query in alternating order, so a
 * noisy shared machine slows both alike; the speed-up of a round is a ratio of process CPU times.
 */
export async function compareGraphs(opts: CompareOptions): Promise<CompareResult> {
  const { head, padId, queries } = workloadBatches(opts);
  const batches = queries.flat();
  const files = [...opts.files, ...(opts.reference !== undefined && existsSync(opts.reference) ? [opts.reference] : [])];
  const sessions: ModelSession[] = [];
  let progress: Progress = NO_PROGRESS;
  try {
    for (const onnxPath of files) sessions.push(await ModelSession.create({ onnxPath, padId, head, label: path.basename(onnxPath), threads: opts.threads ?? 1 }));
    const total = files.length * queries.length + opts.rounds * queries.length * Math.max(0, 2 * opts.files.length - 1);
    progress = opts.progress?.(total) ?? NO_PROGRESS;
    const outputs: Float32Array[][] = [];
    for (const s of sessions) {
      const out: Float32Array[] = [];
      for (const query of queries) {
        for (const b of query) out.push((await s.run(b)).data);
        progress.tick();
      }
      outputs.push(out);
    }
    // Each file is timed in pairs with the first, query by query, the pair's order alternating:
    // the two runs of a pair meet the same moment of a shared machine.
    const timed = sessions.slice(0, opts.files.length);
    const speedups = timed.map(() => [] as number[]);
    const cpu = timed.map(() => [] as number[]);
    const cpuOf = async (i: number, query: EncodedSequence[][]): Promise<number> => {
      const before = process.cpuUsage();
      for (const b of query) await (timed[i] as ModelSession).run(b);
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1e6;
    };
    for (let round = 0; round < opts.rounds; round++) {
      const base = timed.map(() => 0);
      const spent = timed.map(() => 0);
      for (const [q, query] of queries.entries()) {
        for (let i = 0; i < timed.length; i++) {
          const order = (round + q + i) % 2 === 0 ? [0, i] : [i, 0];
          for (const k of i === 0 ? [0] : order) {
            const c = await cpuOf(k, query);
            progress.tick();
            if (k === 0) base[i] = (base[i] as number) + c;
            else spent[i] = (spent[i] as number) + c;
          }
        }
      }
      spent[0] = base[0] as number;
      spent.forEach((c, i) => {
        cpu[i]?.push(c);
        speedups[i]?.push((base[i] as number) / c);
      });
    }
    const base = outputs[0] as Float32Array[];
    const ref = opts.reference !== undefined && outputs.length > opts.files.length ? outputs[outputs.length - 1] : undefined;
    const sequences = batches.reduce((n, b) => n + b.length, 0);
    return {
      sequences,
      batches: batches.length,
      files: opts.files.map((file, i) => ({
        file,
        maxAbsDiff: maxDiff(outputs[i] as Float32Array[], base),
        maxAbsDiffToReference: ref === undefined ? undefined : maxDiff(outputs[i] as Float32Array[], ref),
        speedups: speedups[i] ?? [],
        sequencesPerCpuSecond: opts.rounds > 0 ? sequences / median(cpu[i] ?? []) : undefined,
      })),
    };
  } finally {
    progress.stop();
    for (const s of sessions) await s.release();
  }
}

export { median };
