import type { ForgeFamily } from './presets.js';

/**
 * Initializer naming scheme of forged models. The ONNX graph, the reference
 * forward pass in the tests and the int8 quantizer all find weights by these
 * names, so this file is the single source of truth.
 *
 * Names follow the PyTorch state_dict of BertForSequenceClassification (and of
 * XLMRobertaForSequenceClassification for the xlm-roberta family). A
 * `.weight_t` suffix marks a Linear weight stored transposed, i.e. [in, out],
 * because it is the second input of a MatMul (x · W^T in PyTorch terms).
 * Embedding tables (`.weight`) keep the PyTorch layout [rows, hidden].
 */

export const EMBEDDINGS = {
  word: 'bert.embeddings.word_embeddings.weight',
  position: 'bert.embeddings.position_embeddings.weight',
  tokenType: 'bert.embeddings.token_type_embeddings.weight',
  layerNormWeight: 'bert.embeddings.LayerNorm.weight',
  layerNormBias: 'bert.embeddings.LayerNorm.bias',
  /** int64 [1, maxPositions] holding 0..maxPositions-1, sliced to the sequence length. */
  positionIds: 'bert.embeddings.position_ids',
} as const;

export interface LayerWeightNames {
  queryWeight: string;
  queryBias: string;
  keyWeight: string;
  keyBias: string;
  valueWeight: string;
  valueBias: string;
  attentionOutputWeight: string;
  attentionOutputBias: string;
  attentionLayerNormWeight: string;
  attentionLayerNormBias: string;
  intermediateWeight: string;
  intermediateBias: string;
  outputWeight: string;
  outputBias: string;
  outputLayerNormWeight: string;
  outputLayerNormBias: string;
}

/** `model` is the state_dict's base-model prefix: bert, or roberta for XLM-R. */
export function layerWeightNames(layer: number, model: 'bert' | 'roberta' = 'bert'): LayerWeightNames {
  const p = `${model}.encoder.layer.${layer}`;
  return {
    queryWeight: `${p}.attention.self.query.weight_t`,
    queryBias: `${p}.attention.self.query.bias`,
    keyWeight: `${p}.attention.self.key.weight_t`,
    keyBias: `${p}.attention.self.key.bias`,
    valueWeight: `${p}.attention.self.value.weight_t`,
    valueBias: `${p}.attention.self.value.bias`,
    attentionOutputWeight: `${p}.attention.output.dense.weight_t`,
    attentionOutputBias: `${p}.attention.output.dense.bias`,
    attentionLayerNormWeight: `${p}.attention.output.LayerNorm.weight`,
    attentionLayerNormBias: `${p}.attention.output.LayerNorm.bias`,
    intermediateWeight: `${p}.intermediate.dense.weight_t`,
    intermediateBias: `${p}.intermediate.dense.bias`,
    outputWeight: `${p}.output.dense.weight_t`,
    outputBias: `${p}.output.dense.bias`,
    outputLayerNormWeight: `${p}.output.LayerNorm.weight`,
    outputLayerNormBias: `${p}.output.LayerNorm.bias`,
  };
}

export const HEAD = {
  poolerWeight: 'bert.pooler.dense.weight_t',
  poolerBias: 'bert.pooler.dense.bias',
  classifierWeight: 'classifier.weight_t',
  classifierBias: 'classifier.bias',
} as const;

/** XLM-R computes its position ids in the graph, so it has no position_ids buffer. */
export const XLMR_EMBEDDINGS = {
  word: 'roberta.embeddings.word_embeddings.weight',
  position: 'roberta.embeddings.position_embeddings.weight',
  tokenType: 'roberta.embeddings.token_type_embeddings.weight',
  layerNormWeight: 'roberta.embeddings.LayerNorm.weight',
  layerNormBias: 'roberta.embeddings.LayerNorm.bias',
} as const;

/** XLMRobertaClassificationHead: dense then tanh (the pooler's role in BERT), then out_proj. */
export const XLMR_HEAD = {
  poolerWeight: 'classifier.dense.weight_t',
  poolerBias: 'classifier.dense.bias',
  classifierWeight: 'classifier.out_proj.weight_t',
  classifierBias: 'classifier.out_proj.bias',
} as const;

export type EmbeddingNames = { [K in Exclude<keyof typeof EMBEDDINGS, 'positionIds'>]: string };
export type HeadNames = { [K in keyof typeof HEAD]: string };

/** The names of one family's weights. */
export interface FamilyWeightNames {
  embeddings: EmbeddingNames;
  layer(index: number): LayerWeightNames;
  head: HeadNames;
}

export function familyWeightNames(family: ForgeFamily): FamilyWeightNames {
  return family === 'xlm-roberta'
    ? { embeddings: XLMR_EMBEDDINGS, layer: (i) => layerWeightNames(i, 'roberta'), head: XLMR_HEAD }
    : { embeddings: EMBEDDINGS, layer: (i) => layerWeightNames(i), head: HEAD };
}

/**
 * Prefix of graph constants (scalars, shapes, axes) stored as initializers.
 * They are not learned weights; quantizers and weight readers skip them.
 */
export const CONSTANT_PREFIX = 'const.';

/** Every learned float weight of a model with `numLayers` encoder layers, in graph order; embedders have no head. */
export function weightNames(numLayers: number, head = true, family: ForgeFamily = 'bert'): string[] {
  const n = familyWeightNames(family);
  const e = n.embeddings;
  const names: string[] = [e.word, e.position, e.tokenType, e.layerNormWeight, e.layerNormBias];
  for (let i = 0; i < numLayers; i++) names.push(...Object.values(n.layer(i)));
  if (head) names.push(n.head.poolerWeight, n.head.poolerBias, n.head.classifierWeight, n.head.classifierBias);
  return names;
}

/** Every initializer name the forge writes except the `const.*` graph constants. */
export function initializerNames(numLayers: number, head = true, family: ForgeFamily = 'bert'): string[] {
  const names = weightNames(numLayers, head, family);
  return family === 'bert' ? [...names, EMBEDDINGS.positionIds] : names;
}

/** Names of the 2-D weights that feed a MatMul as its second input (what int8 dynamic quantization rewrites). */
export function matMulWeightNames(numLayers: number, head = true, family: ForgeFamily = 'bert'): string[] {
  return weightNames(numLayers, head, family).filter((n) => n.endsWith('.weight_t'));
}
