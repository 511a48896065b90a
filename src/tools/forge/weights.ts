import type { ForgePreset } from './presets.js';
import { tensorStream } from './prng.js';
import { familyWeightNames } from './weight-names.js';

export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

export interface WeightSpec {
  numLabels: number;
  maxPositions: number;
}

/**
 * Initialisation scales. A freshly initialised BERT (N(0, 0.02) everywhere)
 * gives almost the same score to every input, which hides ordering and padding
 * bugs. These scales imitate a trained model instead: unit-variance
 * activations, peaked attention and a classifier whose logits spread over
 * several units across different texts.
 */
export const INIT_SCALES = {
  wordEmbedding: 1.0,
  positionEmbedding: 0.5,
  tokenTypeEmbedding: 0.5,
  layerNormGainStd: 0.05,
  layerNormBiasStd: 0.05,
  /** Multiplies 1/sqrt(hidden); >1 makes attention scores spread so softmax is not uniform. */
  queryKeyGain: 2.0,
  /** Multiplies 1/sqrt(fanIn) for value, attention output, FFN and pooler weights. */
  denseGain: 1.0,
  denseBiasStd: 0.05,
  /** Multiplies 1/sqrt(hidden) for the classifier so raw logits spread over several units. */
  classifierGain: 5.0,
} as const;

/** A seeded tensor of N(mean, std) values, its stream named by the tensor (prng.ts). */
export function normal(seed: number, name: string, dims: number[], std: number, mean = 0): FloatTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  const next = tensorStream(seed, name);
  for (let i = 0; i < size; i++) data[i] = mean + std * next();
  return { dims, data };
}

/** All learned weights of a forged model, keyed by the names in weight-names.ts. */
export function generateWeights(preset: ForgePreset, spec: WeightSpec, seed: number): Map<string, FloatTensor> {
  const H = preset.hiddenSize;
  const I = preset.intermediateSize;
  const s = INIT_SCALES;
  const w = new Map<string, FloatTensor>();
  const names = familyWeightNames(preset.family);
  const e = names.embeddings;
  const head = names.head;
  const add = (name: string, dims: number[], std: number, mean = 0): void => {
    w.set(name, normal(seed, name, dims, std, mean));
  };
  const layerNorm = (gain: string, bias: string): void => {
    add(gain, [H], s.layerNormGainStd, 1);
    add(bias, [H], s.layerNormBiasStd);
  };
  const dense = (weight: string, bias: string, fanIn: number, fanOut: number, gain: number): void => {
    add(weight, [fanIn, fanOut], gain / Math.sqrt(fanIn));
    add(bias, [fanOut], s.denseBiasStd);
  };

  add(e.word, [preset.vocabSize, H], s.wordEmbedding);
  add(e.position, [spec.maxPositions, H], s.positionEmbedding);
  add(e.tokenType, [preset.typeVocabSize, H], s.tokenTypeEmbedding);
  layerNorm(e.layerNormWeight, e.layerNormBias);

  for (let layer = 0; layer < preset.numHiddenLayers; layer++) {
    const n = names.layer(layer);
    dense(n.queryWeight, n.queryBias, H, H, s.queryKeyGain);
    dense(n.keyWeight, n.keyBias, H, H, s.queryKeyGain);
    dense(n.valueWeight, n.valueBias, H, H, s.denseGain);
    dense(n.attentionOutputWeight, n.attentionOutputBias, H, H, s.denseGain);
    layerNorm(n.attentionLayerNormWeight, n.attentionLayerNormBias);
    dense(n.intermediateWeight, n.intermediateBias, H, I, s.denseGain);
    dense(n.outputWeight, n.outputBias, I, H, s.denseGain);
    layerNorm(n.outputLayerNormWeight, n.outputLayerNormBias);
  }

  if (preset.kind === 'cross-encoder') {
    dense(head.poolerWeight, head.poolerBias, H, H, s.denseGain);
    dense(head.classifierWeight, head.classifierBias, H, spec.numLabels, s.classifierGain);
  }
  return w;
}
