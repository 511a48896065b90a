import type { ForgePreset } from './presets.js';

export interface ConfigSpec {
  preset: ForgePreset;
  numLabels: number;
  maxPositions: number;
  seed: number;
}

/** What XLM-R folders on the hub (BAAI/bge-reranker-v2-m3, BAAI/bge-m3) say differently from BERT's. */
function xlmrFields(embedder: boolean): Record<string, unknown> {
  return {
    architectures: [embedder ? 'XLMRobertaModel' : 'XLMRobertaForSequenceClassification'],
    model_type: 'xlm-roberta',
    pad_token_id: 1,
    bos_token_id: 0,
    eos_token_id: 2,
  };
}

/** config.json shaped like the hub's for cross-encoder/ms-marco-MiniLM-L-6-v2 (BERT) or BAAI/bge-reranker-v2-m3 (XLM-R). */
export function buildConfigJson(spec: ConfigSpec): Record<string, unknown> {
  const { preset, numLabels } = spec;
  const labels = Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`);
  const embedder = preset.kind === 'embedder';
  let config: Record<string, unknown> = {
    architectures: [embedder ? 'BertModel' : 'BertForSequenceClassification'],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: preset.hiddenSize,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    initializer_range: 0.02,
    intermediate_size: preset.intermediateSize,
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    layer_norm_eps: preset.layerNormEps,
    max_position_embeddings: spec.maxPositions,
    model_type: 'bert',
    num_attention_heads: preset.numAttentionHeads,
    num_hidden_layers: preset.numHiddenLayers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    type_vocab_size: preset.typeVocabSize,
    vocab_size: preset.vocabSize,
    // Marks the folder as synthetic so nobody mistakes its scores for a trained model's.
    forge: { preset: preset.name, seed: spec.seed },
  };
  if (preset.family === 'xlm-roberta') config = { ...config, ...xlmrFields(embedder) };
  if (embedder) {
    delete config['id2label'];
    delete config['label2id'];
    delete config['classifier_dropout'];
  } else if (numLabels === 1) {
    // sentence-transformers' CrossEncoder reads this to skip its default sigmoid for 1-label models.
    config.sbert_ce_default_activation_function = 'torch.nn.modules.linear.Identity';
  }
  return config;
}
