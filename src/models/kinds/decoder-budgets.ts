import type { BatchBudgets } from './encoder-budgets.js';

/**
 * Default batch limits of decoder rerankers: small, because batching buys a decoder nothing and
 * a batch holds its worker for all of its run. Measured on an Intel Xeon with AVX-512 VNNI and AMX,
 * onnxruntime-node 1.30, one thread, Qwen3-Reranker-0.6B's layers and vocabulary with 20 of its 28
 * layers (the forge's qwen3-reranker-0.6b-20l), pairs of ~370 tokens, the score-head rewrite on,
 * seconds per pair by pairs per batch (1, 2, 3, 6; 372 to 2,394 padded tokens):
 * - fp32: 1.98, 2.11, 2.07, 2.09.
 * - int8: 0.62, 0.69, 0.73, 0.72.
 * Per-pair cost is flat or rising with the batch, so one ~400-token pair per batch is as fast as
 * any, and it bounds how long one batch keeps a worker from other work: 512 tokens are ~2.8 s fp32
 * and ~0.9 s int8 on one thread at that shape (~1.4x that for the full 28 layers). A longer pair
 * (up to 8,192 tokens) is a batch of its own and holds its worker for its whole run: a sequence
 * cannot be split.
 */
export const DECODER_BUDGETS: BatchBudgets = {
  fp32: { maxBatchTokens: 512, maxBatchSize: 8 },
  int8: { maxBatchTokens: 512, maxBatchSize: 8 },
};
