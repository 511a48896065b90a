import type { ForgePreset } from './presets.js';

/**
 * sentence-transformers' pipeline files, in the layout of sentence-transformers/all-MiniLM-L6-v2:
 * Transformer, then mean Pooling, then Normalize, with max_seq_length below the tokenizer's limit.
 * A preset with CLS pooling gets BAAI/bge-m3's dense layout instead (the first token's vector).
 */
export function sentenceTransformersFiles(preset: ForgePreset): Record<string, unknown> {
  const cls = preset.pooling === 'cls';
  return {
    'modules.json': [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ],
    'sentence_bert_config.json': { max_seq_length: preset.maxSeqLength ?? 256, do_lower_case: false },
    '1_Pooling/config.json': {
      word_embedding_dimension: preset.hiddenSize,
      pooling_mode_cls_token: cls,
      pooling_mode_mean_tokens: !cls,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    },
    'config_sentence_transformers.json': { prompts: {}, default_prompt_name: null, similarity_fn_name: 'cosine' },
  };
}
