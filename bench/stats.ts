/** One contender's run over the whole workload. */
export interface RunResult {
  contender: string;
  dtype: 'fp32' | 'int8';
  pairs: number;
  seconds: number;
  /** Per request (one query with its candidates), in seconds. */
  latencies: number[];
  /** Tokens the model read, special tokens included. */
  realTokens: number;
  /** Tokens the model computed, padding included; undefined when the contender cannot tell. */
  computedTokens: number | undefined;
  /** Padding share known only as an average of per-batch ratios (the service without batch token sums). */
  paddingNote?: string;
  /** FLOPs of the computed tokens. */
  flops: number | undefined;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: with few samples p99 is the slowest request, not an interpolation past it.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const pairsPerSecond = (r: RunResult): number => r.pairs / r.seconds;

export function paddingWaste(r: RunResult): number | undefined {
  return r.computedTokens === undefined || r.computedTokens === 0 ? undefined : 1 - r.realTokens / r.computedTokens;
}
