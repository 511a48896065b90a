export type ForgePresetName = 'tiny' | 'minilm-l6' | 'embed-tiny' | 'embed-minilm-l6';

/** What a forged folder is: a cross-encoder (classifier head) or a sentence-transformers embedder. */
export type ForgeKind = 'cross-encoder' | 'embedder';

/** Architecture hyper-parameters of a forged BERT model. */
export interface ForgePreset {
  name: ForgePresetName;
  kind: ForgeKind;
  /** Embedders: sentence_bert_config.json's max_seq_length (below the tokenizer's 512, as the hub's folders have it). */
  maxSeqLength?: number;
  numHiddenLayers: number;
  hiddenSize: number;
  numAttentionHeads: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
}

export const PRESETS: Record<ForgePresetName, ForgePreset> = {
  // Small enough that a test can forge, load and run it in well under a second.
  tiny: {
    name: 'tiny',
    kind: 'cross-encoder',
    numHiddenLayers: 2,
    hiddenSize: 32,
    numAttentionHeads: 4,
    intermediateSize: 64,
    vocabSize: 30522,
    maxPositionEmbeddings: 512,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
  },
  // Same shapes as cross-encoder/ms-marco-MiniLM-L-6-v2, so latency and memory are realistic.
  'minilm-l6': {
    name: 'minilm-l6',
    kind: 'cross-encoder',
    numHiddenLayers: 6,
    hiddenSize: 384,
    numAttentionHeads: 12,
    intermediateSize: 1536,
    vocabSize: 30522,
    maxPositionEmbeddings: 512,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
  },
  // An embedder as small as `tiny`, in sentence-transformers' layout: mean pooling, Normalize.
  'embed-tiny': {
    name: 'embed-tiny',
    kind: 'embedder',
    maxSeqLength: 128,
    numHiddenLayers: 2,
    hiddenSize: 32,
    numAttentionHeads: 4,
    intermediateSize: 64,
    vocabSize: 30522,
    maxPositionEmbeddings: 512,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
  },
  // The shape of sentence-transformers/all-MiniLM-L6-v2: 6 layers, 384 wide, max_seq_length 256.
  'embed-minilm-l6': {
    name: 'embed-minilm-l6',
    kind: 'embedder',
    maxSeqLength: 256,
    numHiddenLayers: 6,
    hiddenSize: 384,
    numAttentionHeads: 12,
    intermediateSize: 1536,
    vocabSize: 30522,
    maxPositionEmbeddings: 512,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
  },
};

export function isPresetName(name: string): name is ForgePresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}
