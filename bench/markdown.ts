import type { ScoreCheckResult } from '../src/tools/quantize/score-check.js';
import type { GemmPeak, GemmShape } from './roofline.js';
import { paddingWaste, pairsPerSecond, percentile, type RunResult } from './stats.js';

export const SECTION_START = '<!-- bench:start -->';
export const SECTION_END = '<!-- bench:end -->';

export interface BenchReport {
  date: string;
  machine: string;
  command: string;
  modelDir: string;
  architecture: string;
  workload: string;
  /** Undefined when the rerank section did not run. */
  gemm: { shape: GemmShape; peak: GemmPeak } | undefined;
  /** Pairs of fp32 and int8 runs of one contender, in the order they ran. */
  runs: Array<{ fp32: RunResult; int8: RunResult }>;
  accuracy: ScoreCheckResult | undefined;
  /** Lines of the saturation and overload run, when it ran. */
  overload?: string[] | undefined;
  /** Lines of the embeddings section, when it ran. */
  embeddings?: string[] | undefined;
  /** Lines of the search section, when it ran. */
  search?: string[] | undefined;
}

const ms = (s: number): string => (s * 1000).toFixed(0);
const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`);

function gflops(r: RunResult, peak: number): string {
  if (r.flops === undefined) return 'n/a';
  const g = r.flops / r.seconds / 1e9;
  return `${g.toFixed(1)} (${((g / peak) * 100).toFixed(0)}%)`;
}

/** One markdown block with every figure of the run, ratios next to the absolutes they come from. */
export function renderMarkdown(r: BenchReport): string {
  const baseline = r.runs.find((run) => run.fp32.contender.startsWith('onnxruntime-node'));
  const rows = r.runs.map(({ fp32, int8 }) => {
    const vsOrt = (run: RunResult, base: RunResult | undefined): string => (base ? `${(pairsPerSecond(run) / pairsPerSecond(base)).toFixed(2)}x` : 'n/a');
    const waste = (run: RunResult): string => `${pct(paddingWaste(run))}${run.paddingNote?.startsWith('estimated') ? ' (est.)' : ''}`;
    return [
      fp32.contender,
      pairsPerSecond(fp32).toFixed(0),
      pairsPerSecond(int8).toFixed(0),
      `**${(pairsPerSecond(int8) / pairsPerSecond(fp32)).toFixed(2)}x**`,
      `${vsOrt(fp32, baseline?.fp32)} / ${vsOrt(int8, baseline?.int8)}`,
      `${ms(percentile(fp32.latencies, 50))} / ${ms(percentile(fp32.latencies, 99))}`,
      `${ms(percentile(int8.latencies, 50))} / ${ms(percentile(int8.latencies, 99))}`,
      `${waste(fp32)} / ${waste(int8)}`,
      r.gemm === undefined ? 'n/a' : gflops(fp32, r.gemm.peak.fp32GflopsPerSecond),
      r.gemm === undefined ? 'n/a' : gflops(int8, r.gemm.peak.int8GopsPerSecond),
    ];
  });
  const header = [
    'contender',
    'fp32 pairs/s',
    'int8 pairs/s',
    'int8 / fp32',
    'vs plain ORT (fp32 / int8)',
    'fp32 p50 / p99 ms',
    'int8 p50 / p99 ms',
    'padding waste (fp32 / int8)',
    'fp32 GFLOP/s (% of fp32 GEMM)',
    'int8 GOP/s (% of int8 GEMM)',
  ];
  const table = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  const notes = [...new Set(r.runs.flatMap((run) => [run.fp32.paddingNote, run.int8.paddingNote]).filter((n): n is string => n !== undefined))];
  const a = r.accuracy;
  const lines = [
    SECTION_START,
    `### Run of ${r.date}`,
    '',
    `- Machine: ${r.machine}`,
    `- Command: \`${r.command}\``,
  ];
  if (r.runs.length > 0 && r.gemm !== undefined) {
    const { shape, peak } = r.gemm;
    lines.push(
      `- Model: \`${r.modelDir}\` (${r.architecture}); int8 is \`onnx/model_quantized.onnx\` written by \`reranker quantize\``,
      `- Workload: ${r.workload}`,
      `- Roofline: ONNX Runtime GEMM ${shape.m}x${shape.k} by ${shape.k}x${shape.n}: fp32 MatMul ${peak.fp32GflopsPerSecond.toFixed(1)} GFLOP/s, int8 MatMulInteger ${peak.int8GopsPerSecond.toFixed(1)} GOP/s (${(peak.int8GopsPerSecond / peak.fp32GflopsPerSecond).toFixed(2)}x; best of 5 trials)`,
      '',
      table,
      '',
      'Latency is per request (one query with 100 documents). Padding waste is padding tokens / computed tokens.',
      'Model GFLOP/s counts the computed (padded) tokens: per layer 2·T·(4H² + 2HI) + 4·S²·H per sequence.',
      ...notes.map((n) => `Service padding: ${n}.`),
    );
  }
  if (a !== undefined) {
    lines.push(
      '',
      `int8 against fp32 on ${a.queries} of these queries (${a.pairs} pairs): raw score |diff| max ${a.maxAbsDiff.toFixed(3)}, mean ${a.meanAbsDiff.toFixed(3)} (fp32 std ${a.referenceStd.toFixed(3)}); ` +
        `Spearman mean ${a.spearman.mean.toFixed(3)} (min ${a.spearman.min.toFixed(3)}), Kendall tau-b mean ${a.kendall.mean.toFixed(3)} (min ${a.kendall.min.toFixed(3)}), ` +
        `top-${a.topK} overlap mean ${a.topKOverlap.mean.toFixed(2)} (min ${a.topKOverlap.min.toFixed(2)}).`,
    );
  }
  if (r.overload !== undefined) lines.push(...r.overload);
  if (r.embeddings !== undefined) lines.push(...r.embeddings);
  if (r.search !== undefined) lines.push(...r.search);
  lines.push(SECTION_END);
  return `${lines.join('\n')}\n`;
}

/** Replaces the marked section of a markdown file, or appends one. */
export function replaceSection(document: string, section: string): string {
  const start = document.indexOf(SECTION_START);
  const end = document.indexOf(SECTION_END);
  if (start < 0 || end < start) return `${document.trimEnd()}\n\n${section}`;
  return `${document.slice(0, start)}${section.trimEnd()}${document.slice(end + SECTION_END.length)}`;
}
