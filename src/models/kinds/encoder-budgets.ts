import type { BatchLimits } from '../../engine/batch-plan.js';
import type { GraphPrecision } from '../../graph/precision.js';

/** A kind's default batch limits per precision of its GEMMs. */
export type BatchBudgets = Readonly<Record<GraphPrecision, BatchLimits>>;

/**
 * Default batch limits of the encoder kinds (cross-encoder, embedder) per precision, used where
 * --max-batch-tokens / --max-batch-size are not set (an explicit setting wins, for every model). The
 * precision is read from the loaded file's operators (graph/precision.ts), so an int8 file gets the
 * int8 row.
 *
 * Measured on an Intel Xeon with AVX-512 VNNI and AMX, 2 cores, onnxruntime-node 1.30, forged
 * MiniLM-L6 shapes, CPU time per sequence with every budget interleaved (one thread, the bench's
 * batches) against an identical control:
 * - cross-encoder fp32 (first-token-head on): 512 1.05x, 1024 1.03x, 1536 1.03x of 768; control 0.99x.
 * - cross-encoder int8: 512 1.01x, 1024 1.01x, 1536 1.01x, 3072 0.99x; control 0.96x.
 * - embedder fp32: 512 1.05x, 1536/64 1.04x, 768/64 1.02x; control 1.05x.
 * - embedder int8: 512 1.01x, 1536/64 0.96x, 3072/128 1.01x; control 0.98x.
 * - the service itself at concurrency 8, int8: 1536/64 ran 6.50 ms of inference per pair against
 *   6.16 at 768/32 (identical control 6.16): its batches grew from 589 to 870 tokens and got slower.
 * No budget beat 768 tokens beyond the noise, for either kind or precision: per-token cost is
 * flat from ~500 to ~3000 tokens once a run's fixed cost is paid, and that fixed cost is ~20
 * tokens' worth in fp32 (4.5 ms + 0.23 ms/token) and ~15 in int8 (1.2 ms + 0.08 ms/token), so the
 * planner's per-batch cost (BATCH_OVERHEAD_TOKENS, 24) fits both. AMX did not want more rows
 * here: ONNX Runtime's int8 GEMM at the model's shapes runs at the same rate from 768 to 4096 rows.
 */
export const CROSS_ENCODER_BUDGETS: BatchBudgets = {
  fp32: { maxBatchTokens: 768, maxBatchSize: 32 },
  int8: { maxBatchTokens: 768, maxBatchSize: 32 },
};

export const EMBEDDER_BUDGETS: BatchBudgets = {
  fp32: { maxBatchTokens: 768, maxBatchSize: 32 },
  int8: { maxBatchTokens: 768, maxBatchSize: 32 },
};

/** A budget row with the explicit settings laid over it. */
export function batchBudget(budgets: BatchBudgets, precision: GraphPrecision, explicit: Partial<BatchLimits> = {}): BatchLimits {
  const base = budgets[precision];
  return { maxBatchTokens: explicit.maxBatchTokens ?? base.maxBatchTokens, maxBatchSize: explicit.maxBatchSize ?? base.maxBatchSize };
}
