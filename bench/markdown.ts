import type { ScoreCheckResult } from '../src/tools/quantize/score-check.js';
import type { TheoreticalPeak } from './machine.js';
import type { Ceiling, GemmPrecision, GemmTrial } from './roofline.js';
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
  roofline: { ceiling: Ceiling; peak: TheoreticalPeak } | undefined;
  /** The service's pool shape, as it ran. */
  pool?: string | undefined;
  /** Pairs of fp32 and int8 runs of one contender, in the order they ran. */
  runs: Array<{ fp32: RunResult; int8: RunResult }>;
  accuracy: ScoreCheckResult | undefined;
  /** Lines of the saturation and overload run, when it ran. */
  overload?: string[] | undefined;
  /** Lines of the embeddings section, when it ran. */
  embeddings?: string[] | undefined;
  /** Lines of the search section, when it ran. */
  search?: string[] | undefined;
  /** Lines of the graph-rewrite tables, when they ran. */
  rewrites?: string[] | undefined;
  /** Lines of the slow-clients section, when it ran. */
  slowClients?: string[] | undefined;
  /** Markdown showing the charts drawn from this run (bench/charts/), when --write drew them. */
  charts?: string[] | undefined;
}

const ms = (s: number): string => (s * 1000).toFixed(0);
const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`);

/** Achieved rate, against the measured ceiling and the theoretical peak of its precision. */
function achieved(r: RunResult, roofline: BenchReport['roofline'], precision: GemmPrecision): string {
  if (r.flops === undefined || roofline === undefined) return 'n/a';
  const rate = r.flops / r.seconds;
  const ceiling = roofline.ceiling.best[precision].opsPerSecond;
  const peak = precision === 'fp32' ? roofline.peak.fp32FlopsPerSecond : roofline.peak.int8OpsPerSecond;
  const over = rate > ceiling ? ' (above the ceiling: it was timed on a busier machine; rerun)' : '';
  return `${(rate / 1e9).toFixed(1)} (${((rate / ceiling) * 100).toFixed(0)}% / ${((rate / peak) * 100).toFixed(0)}%)${over}`;
}

const giga = (x: number): string => (x / 1e9).toFixed(0);
const where = (t: GemmTrial): string => `${t.label}, ${t.layout}`;

/** The sweep as one row per shape: each precision's rate per layout. */
function sweepTable(c: Ceiling): string[] {
  const layouts = [...new Set(c.trials.map((t) => t.layout))];
  const labels = [...new Set(c.trials.map((t) => t.label))];
  const header = ['GEMM (M x K x N)', ...(['fp32', 'int8'] as const).flatMap((p) => layouts.map((l) => `${p} ${l}`))];
  const rows = labels.map((label) => {
    const any = c.trials.find((t) => t.label === label) as GemmTrial;
    const cells = (['fp32', 'int8'] as const).flatMap((p) => layouts.map((l) => {
      const t = c.trials.find((x) => x.label === label && x.precision === p && x.layout === l);
      return t === undefined ? 'n/a' : giga(t.opsPerSecond);
    }));
    return [`${label} (${any.shape.m}x${any.shape.k}x${any.shape.n})`, ...cells];
  });
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
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
      achieved(fp32, r.roofline, 'fp32'),
      achieved(int8, r.roofline, 'int8'),
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
    'fp32 GFLOP/s (% of ceiling / % of peak)',
    'int8 GOP/s (% of ceiling / % of peak)',
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
  if (r.runs.length > 0 && r.roofline !== undefined) {
    const { ceiling, peak } = r.roofline;
    lines.push(
      `- Model: \`${r.modelDir}\` (${r.architecture}); int8 is \`onnx/model_quantized.onnx\` written by \`reranker quantize\``,
      `- Workload: ${r.workload}`,
      ...(r.pool === undefined ? [] : [`- Service pool: ${r.pool}`]),
      `- Ceiling (measured): ONNX Runtime's best GEMM over ${new Set(ceiling.trials.map((t) => t.label)).size} shapes x ${new Set(ceiling.trials.map((t) => t.layout)).size} layouts (table below), timed before and after the contenders: ` +
        `fp32 MatMul ${giga(ceiling.best.fp32.opsPerSecond)} GFLOP/s (${where(ceiling.best.fp32)}), int8 MatMulInteger ${giga(ceiling.best.int8.opsPerSecond)} GOP/s (${where(ceiling.best.int8)}); ` +
        `one core: fp32 ${giga(ceiling.bestOneCore.fp32.opsPerSecond)}, int8 ${giga(ceiling.bestOneCore.int8.opsPerSecond)}`,
      `- Theoretical peak: fp32 ${giga(peak.fp32FlopsPerSecond)} GFLOP/s, int8 ${giga(peak.int8OpsPerSecond)} GOP/s (${peak.assumptions})`,
      '',
      table,
      '',
      'Latency is per request (one query with 100 documents). Padding waste is padding tokens / computed tokens.',
      'Model GFLOP/s counts the computed (padded) tokens: per layer 2·T·(4H² + 2HI) + 4·S²·H per sequence; where the service runs a',
      "cross-encoder's last layer after attention on the first token only (graph rewrite first-token-head), only that work is counted.",
      'Percentages: of the measured ceiling of the same precision, and of the theoretical peak.',
      ...notes.map((n) => `Service padding: ${n}.`),
      '',
      'GEMM sweep (GFLOP/s or GOP/s, best of several trials):',
      '',
      ...sweepTable(ceiling),
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
  if (r.rewrites !== undefined) lines.push(...r.rewrites);
  if (r.overload !== undefined) lines.push(...r.overload);
  if (r.embeddings !== undefined) lines.push(...r.embeddings);
  if (r.search !== undefined) lines.push(...r.search);
  if (r.slowClients !== undefined) lines.push('', ...r.slowClients);
  if (r.charts !== undefined && r.charts.length > 0) lines.push('', ...r.charts);
  lines.push(SECTION_END);
  return `${lines.join('\n')}\n`;
}

/** Replaces the marked section of a markdown file, or appends one. */
export function replaceSection(document: string, section: string, markers: { start: string; end: string } = { start: SECTION_START, end: SECTION_END }): string {
  const start = document.indexOf(markers.start);
  const end = document.indexOf(markers.end);
  if (start < 0 || end < start) return `${document.trimEnd()}\n\n${section}`;
  return `${document.slice(0, start)}${section.trimEnd()}${document.slice(end + markers.end.length)}`;
}

/** The soak's own markers: a soak run rewrites its section alone. */
export const SOAK_MARKERS = { start: '<!-- bench:soak:start -->', end: '<!-- bench:soak:end -->' };
export const DECODER_MARKERS = { start: '<!-- bench:decoder:start -->', end: '<!-- bench:decoder:end -->' };
export const FAIRNESS_MARKERS = { start: '<!-- bench:fairness:start -->', end: '<!-- bench:fairness:end -->' };
export const INGEST_MARKERS = { start: '<!-- bench:ingest:start -->', end: '<!-- bench:ingest:end -->' };
export const SCALE_MARKERS = { start: '<!-- bench:scale:start -->', end: '<!-- bench:scale:end -->' };
export const LEXICAL_MARKERS = { start: '<!-- bench:lexical:start -->', end: '<!-- bench:lexical:end -->' };
