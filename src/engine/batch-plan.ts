export interface BatchLimits {
  maxBatchSize: number;
  /** Padded tokens per batch: pairs x longest pair, since every row is padded to the longest. */
  maxBatchTokens: number;
}

/**
 * What one more batch costs, in padded tokens. Measured on onnxruntime-node with a MiniLM-L6-shaped
 * model on one thread: a session run has ~1.5-4 ms of fixed cost against ~0.1-0.25 ms per token
 * (int8 / fp32), i.e. 15-16 tokens; rounded up so the planner does not split batches for a token or two.
 */
export const BATCH_OVERHEAD_TOKENS = 24;

/**
 * Groups pairs into batches that waste the least compute: sorted by length, the sorted run is cut
 * where the sum of padded tokens (pairs x longest pair) plus a fixed cost per batch is smallest,
 * under both limits. A greedy fill would put the long tail of a log-normal length distribution
 * into one wide batch; this splits it off instead. O(n x maxBatchSize). Returns indices into `lengths`.
 */
export function planBatches(lengths: ArrayLike<number>, limits: BatchLimits): number[][] {
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  order.sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  const n = order.length;
  const len = (k: number): number => lengths[order[k] as number] as number;
  // best[j]: least cost of batching the j shortest pairs; cutAt[j]: where their last batch starts.
  const best = new Float64Array(n + 1).fill(Infinity);
  const cutAt = new Int32Array(n + 1);
  best[0] = 0;
  for (let j = 1; j <= n; j++) {
    const longest = len(j - 1);
    for (let size = 1; size <= Math.min(limits.maxBatchSize, j); size++) {
      // An over-long pair still gets a batch of its own rather than being dropped.
      if (size > 1 && size * longest > limits.maxBatchTokens) break;
      const cost = (best[j - size] as number) + size * longest + BATCH_OVERHEAD_TOKENS;
      if (cost < (best[j] as number)) {
        best[j] = cost;
        cutAt[j] = j - size;
      }
    }
  }
  const batches: number[][] = [];
  for (let j = n; j > 0; j = cutAt[j] as number) batches.push(order.slice(cutAt[j], j));
  return batches.reverse();
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
