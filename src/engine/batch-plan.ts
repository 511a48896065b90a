export interface BatchLimits {
  maxBatchSize: number;
  /** Padded tokens per batch: pairs x longest pair, since every row is padded to the longest. */
  maxBatchTokens: number;
}

/**
 * Groups pairs into batches of similar length so padding stays small: sort by length, then cut
 * consecutive runs where either limit would be passed. Returns indices into `lengths`.
 */
export function planBatches(lengths: ArrayLike<number>, limits: BatchLimits): number[][] {
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  order.sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    // Sorted ascending, so this pair is the longest of the batch if it joins.
    const len = lengths[i] as number;
    if (current.length > 0 && (current.length >= limits.maxBatchSize || (current.length + 1) * len > limits.maxBatchTokens)) {
      batches.push(current);
      current = [];
    }
    current.push(i);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface HeldBatch {
  indices: number[];
  /** A limit closed it: waiting for more pairs cannot make it bigger. */
  full: boolean;
}

/** The planned batch that holds `anchor`, so a scheduler can pick by age yet still sort by length. */
export function batchHolding(lengths: ArrayLike<number>, limits: BatchLimits, anchor: number): HeldBatch {
  const batches = planBatches(lengths, limits);
  const k = batches.findIndex((b) => b.includes(anchor));
  const indices = batches[k];
  if (indices === undefined) throw new RangeError(`pair ${anchor} is not among ${lengths.length} pairs`);
  let longest = 0;
  for (const i of indices) longest = Math.max(longest, lengths[i] as number);
  // Batches before the last were cut by a limit; the last one is full only if it cannot grow.
  const full = k < batches.length - 1 || indices.length >= limits.maxBatchSize || (indices.length + 1) * longest > limits.maxBatchTokens;
  return { indices, full };
}
