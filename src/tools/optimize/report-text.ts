import type { GraphPrecision } from '../../graph/precision.js';
import type { RewriteResult } from './optimize-graph.js';

export interface RewriteTrial extends RewriteResult {
  /** The rewritten file, when the rewrite applied. */
  file: string | undefined;
  maxAbsDiff: number | undefined;
  maxAbsDiffToReference?: number | undefined;
  /** Unrewritten CPU time over rewritten, per timing round. */
  speedups: number[];
  kept: boolean;
}

export interface OptimizeReport {
  input: string;
  precision: GraphPrecision;
  kind: string;
  sequences: number;
  batches: number;
  tolerance: number;
  /** int8 against its fp32 original on the same workload. */
  drift: number | undefined;
  measured: boolean;
  trials: RewriteTrial[];
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** The table `reranker optimize --check/--measure` prints (and BENCHMARKS.md quotes). */
export function formatOptimizeTable(r: OptimizeReport): string {
  const lines = [
    `${r.input}: ${r.precision} ${r.kind}, ${r.sequences} sequences in ${r.batches} batches`,
    r.precision === 'int8'
      ? `tolerance: today's int8 drift, max |int8 - fp32| = ${r.drift === undefined ? 'unknown (no fp32 model.onnx next to it)' : r.drift.toFixed(4)}`
      : `tolerance: max |difference| <= ${r.tolerance}`,
    '',
    '| rewrite | applied | max abs diff vs unrewritten | speed-up (median, range) | kept |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const t of r.trials) {
    const s = sorted(t.speedups);
    const speed = s.length === 0 ? (r.measured ? 'n/a' : 'not measured') : `${(s[Math.floor(s.length / 2)] as number).toFixed(3)}x (${(s[0] as number).toFixed(2)}-${(s[s.length - 1] as number).toFixed(2)})`;
    const diff = t.maxAbsDiff === undefined ? 'n/a' : `${t.maxAbsDiff.toExponential(2)}${t.maxAbsDiffToReference === undefined ? '' : ` (vs fp32 ${t.maxAbsDiffToReference.toFixed(3)})`}`;
    lines.push(`| ${t.name} | ${t.name.startsWith('(') ? '-' : t.applied > 0 ? t.applied : `no: ${t.reason ?? ''}`} | ${diff} | ${speed} | ${t.kept ? 'yes' : 'no'} |`);
  }
  return `${lines.join('\n')}\n\n`;
}
