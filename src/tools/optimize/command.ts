import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { batchBudget } from '../../models/kinds/encoder-budgets.js';
import { DEFAULT_REWRITES, kindNamed } from '../../models/kinds/index.js';
import { ConfigError } from '../../errors.js';
import { loadModelFolder } from '../../models/model-folder.js';
import { decodeModel, encodeModel } from '../../graph/onnx-proto.js';
import { compareGraphs, median } from './compare-graphs.js';
import { optimizeGraph, ortFusedGraph, type RewriteResult } from './optimize-graph.js';
import { graphPrecision, type GraphPrecision } from '../../graph/precision.js';
import { formatOptimizeTable, type RewriteTrial } from './report-text.js';
import { REWRITES, rewriteNamed } from '../../graph/rewrites/index.js';
import { progressBar } from '../progress.js';

export interface OptimizeCommandOptions {
  model: string;
  onnxFile?: string | undefined;
  out?: string | undefined;
  /** Rewrite names, or 'default' / 'all'. */
  rewrites: string[];
  /** Compare every rewrite's outputs with the unrewritten graph's. */
  check: boolean;
  /** Also time every rewrite against the unrewritten graph, and keep only the faster ones. */
  measure: boolean;
  queries: number;
  rounds: number;
  threads?: number | undefined;
}

/** fp32 rewrites must reproduce the graph's outputs to this absolute difference. */
export const FP32_TOLERANCE = 1e-4;
/** Below this a speed-up is noise: interleaved A/A controls on a shared 2-core machine spread about +-5% per round, ~2% in the median. */
const MIN_SPEEDUP = 1.03;
/** The row of the table that times ONNX Runtime's own extended-level graph, the fused rewrites' starting point. */
const FUSED_CONTROL = '(control: ONNX Runtime extended-level graph)';

function resolveNames(list: string[], precision: GraphPrecision): string[] {
  const names = list.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  const all = REWRITES.filter((r) => r.precisions.includes(precision)).map((r) => r.name);
  const out = names.flatMap((n) => (n === 'default' ? [...DEFAULT_REWRITES] : n === 'all' ? all : [rewriteNamed(n).name]));
  return [...new Set(out)];
}

/**
 * The `reranker optimize` command: writes the model file with the asked-for graph rewrites; with
 * --check or --measure it first tries each one alone against the unrewritten file and keeps only
 * those within tolerance (and, measuring, faster on this machine).
 */
export async function runOptimizeCommand(opts: OptimizeCommandOptions, write: (text: string) => void): Promise<void> {
  for (const [flag, v] of [['--queries', opts.queries], ['--rounds', opts.rounds], ['--threads', opts.threads ?? 1]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${flag} must be a positive integer, got ${v}`);
  }
  // A sentence-transformers folder is an embedder; any other, a reranker.
  const kind = existsSync(path.join(opts.model, 'modules.json')) ? 'embedder' : 'cross-encoder';
  const folder = loadModelFolder(opts.model, opts.onnxFile, kind === 'embedder' ? 'feature-extraction' : 'text-classification');
  const input = folder.onnxPath;
  const bytes = await readFile(input);
  const precision = graphPrecision(decodeModel(bytes));
  let names = resolveNames(opts.rewrites, precision);
  const output = opts.out === undefined ? input.replace(/\.onnx$/, '_optimized.onnx') : path.resolve(folder.dir, opts.out);
  if (path.resolve(output) === path.resolve(input)) throw new ConfigError('--out must not overwrite the input file');

  if (opts.check || opts.measure) {
    const dir = await mkdtemp(path.join(tmpdir(), 'reranker-optimize-'));
    // Its variants are hundreds of MB for a base-size model: an interrupted run must not leave them behind.
    const removeOnSignal = (signal: NodeJS.Signals): void => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', removeOnSignal).once('SIGTERM', removeOnSignal);
    try {
      const trials: RewriteTrial[] = [];
      const files: string[] = [input];
      for (const name of names) {
        const variant = await optimizeGraph(decodeModel(bytes), [name]);
        const result = variant.results.find((r) => r.name === name) as RewriteResult;
        trials.push({ ...result, file: undefined, maxAbsDiff: undefined, speedups: [], kept: false });
        if (result.applied === 0) continue;
        const file = path.join(dir, `${name}.onnx`);
        await writeFile(file, encodeModel(variant.model));
        (trials[trials.length - 1] as RewriteTrial).file = file;
        files.push(file);
      }
      // Fused-stage variants are ONNX Runtime's extended-level graph plus the rewrite; that graph
      // alone is their control, timed like a rewrite (it is never kept: it changes nothing ORT
      // would not do at load).
      if (names.some((n) => rewriteNamed(n).stage === 'fused')) {
        const file = path.join(dir, `${FUSED_CONTROL}.onnx`);
        await writeFile(file, encodeModel(await ortFusedGraph(decodeModel(bytes))));
        trials.push({ name: FUSED_CONTROL, applied: 1, file, maxAbsDiff: undefined, speedups: [], kept: false });
        files.push(file);
      }
      // An int8 file's fp32 original measures today's int8 drift, the bound for int8 rewrites.
      const fp32 = path.join(path.dirname(input), 'model.onnx');
      const reference = precision === 'int8' && existsSync(fp32) && path.resolve(fp32) !== path.resolve(input) ? fp32 : undefined;
      const cmp = await compareGraphs({
        dir: folder.dir,
        kind,
        files,
        reference,
        queries: opts.queries,
        rounds: opts.measure ? opts.rounds : 0,
        threads: opts.threads,
        limits: batchBudget(kindNamed(kind).budgets, precision),
        progress: (total) => progressBar(opts.measure ? 'measuring rewrites (query runs)' : 'checking rewrites (query runs)', total),
      });
      const drift = cmp.files[0]?.maxAbsDiffToReference;
      const tolerance = precision === 'fp32' ? FP32_TOLERANCE : (drift ?? Infinity);
      for (const t of trials) {
        const c = cmp.files.find((f) => f.file === t.file);
        if (c === undefined) continue;
        t.maxAbsDiff = c.maxAbsDiff;
        t.maxAbsDiffToReference = c.maxAbsDiffToReference;
        t.speedups = c.speedups;
        t.kept = t.name !== FUSED_CONTROL && c.maxAbsDiff <= tolerance && (!opts.measure || median(c.speedups) >= MIN_SPEEDUP);
      }
      write(formatOptimizeTable({ input, precision, kind, sequences: cmp.sequences, batches: cmp.batches, tolerance, drift, measured: opts.measure, trials }));
      names = trials.filter((t) => t.kept).map((t) => t.name);
    } finally {
      process.off('SIGINT', removeOnSignal).off('SIGTERM', removeOnSignal);
      await rm(dir, { recursive: true, force: true });
    }
  }

  if (names.length === 0) {
    write('no rewrite kept; nothing written\n');
    return;
  }
  const final = await optimizeGraph(decodeModel(bytes), names);
  const applied = final.results.filter((r) => r.applied > 0);
  for (const r of final.results) write(`${r.name}: ${r.applied > 0 ? `applied (${r.applied})` : `not applied: ${r.reason ?? ''}`}\n`);
  if (applied.length === 0) {
    write('no rewrite matched; nothing written\n');
    return;
  }
  final.model.producerName = `${final.model.producerName || 'unknown'}+reranker-optimize`;
  await writeFile(output, encodeModel(final.model));
  write(`wrote ${output}\nserve it with: reranker serve --model ${folder.dir} --onnx-file ${path.relative(folder.dir, output)}\n`);
}
