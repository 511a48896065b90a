import type { QuantizeFileResult } from '../../graph/quantize/quantize-file.js';
import type { ScoreCheckResult } from './score-check.js';

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const f3 = (x: number): string => x.toFixed(3);

/** What the quantize command prints: what changed, what stayed fp32 and why. */
export function formatQuantizeResult(r: QuantizeFileResult): string {
  const lines = [
    `quantized ${r.quantized.length} MatMul weights to int8 (${r.activationQuantizers} DynamicQuantizeLinear) in ${r.seconds.toFixed(1)} s`,
    `  ${r.input} (${mb(r.inputBytes)}) -> ${r.output} (${mb(r.outputBytes)})`,
  ];
  for (const s of r.skipped) lines.push(`  kept fp32: ${s.weight} (${s.reason})`);
  return `${lines.join('\n')}\n`;
}

export function formatScoreCheck(c: ScoreCheckResult): string {
  const ratio = c.candidatePairsPerSecond / c.referencePairsPerSecond;
  return [
    `score check on ${c.queries} generated queries x ${c.pairs / c.queries} documents (${c.pairs} pairs), int8 against fp32:`,
    `  raw score |diff|: max ${f3(c.maxAbsDiff)}, mean ${f3(c.meanAbsDiff)} (fp32 scores have std ${f3(c.referenceStd)})`,
    `  Spearman per query: mean ${f3(c.spearman.mean)}, min ${f3(c.spearman.min)}`,
    `  Kendall tau-b per query: mean ${f3(c.kendall.mean)}, min ${f3(c.kendall.min)}`,
    `  top-${c.topK} overlap per query: mean ${f3(c.topKOverlap.mean)}, min ${f3(c.topKOverlap.min)}`,
    `  pairs/s (length-sorted batches of 32, same run): fp32 ${c.referencePairsPerSecond.toFixed(0)}, int8 ${c.candidatePairsPerSecond.toFixed(0)} (${ratio.toFixed(2)}x)`,
    '',
  ].join('\n');
}
