export type ForgePresetName = 'tiny' | 'minilm-l6';

/** Architecture hyper-parameters of a forged BERT cross-encoder. */
export interface ForgePreset {
  name: ForgePresetName;
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
