import type { BatchBudgets } from './encoder-budgets.js';

/**
 * Default batch limits of decoder rerankers. A decoder's cost per token is many times a MiniLM's
 * (Qwen3-Reranker-0.6B: 28 layers of width 1024 against 6 of 384), so a batch of the encoders'
 * 768 tokens already runs for long, and a bigger one holds a worker longer without running
 * faster per token (the encoders' measurements: flat per-token cost past ~500 tokens). 1024 tokens
 * fits three ~300-token pairs.
 */
export const DECODER_BUDGETS: BatchBudgets = {
  fp32: { maxBatchTokens: 1024, maxBatchSize: 16 },
  int8: { maxBatchTokens: 1024, maxBatchSize: 16 },
};
