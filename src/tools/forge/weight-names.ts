/**
 * Initializer naming scheme of forged models. The ONNX graph, the reference
 * forward pass in the tests and the int8 quantizer all find weights by these
 * names, so this file is the single source of truth.
 *
 * Names follow the PyTorch state_dict of BertForSequenceClassification. A
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

export function layerWeightNames(layer: number): LayerWeightNames {
  const p = `bert.encoder.layer.${layer}`;
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

/**
 * Prefix of graph constants (scalars, shapes, axes) stored as initializers.
 * They are not learned weights; quantizers and weight readers skip them.
 */
export const CONSTANT_PREFIX = 'const.';

/** Every learned float weight of a model with `numLayers` encoder layers, in graph order; embedders have no head. */
export function weightNames(numLayers: number, head = true): string[] {
  const names: string[] = [
    EMBEDDINGS.word,
    EMBEDDINGS.position,
    EMBEDDINGS.tokenType,
    EMBEDDINGS.layerNormWeight,
    EMBEDDINGS.layerNormBias,
  ];
  for (let i = 0; i < numLayers; i++) names.push(...Object.values(layerWeightNames(i)));
  if (head) names.push(HEAD.poolerWeight, HEAD.poolerBias, HEAD.classifierWeight, HEAD.classifierBias);
  return names;
}

/** Every initializer name the forge writes except the `const.*` graph constants. */
export function initializerNames(numLayers: number, head = true): string[] {
  return [...weightNames(numLayers, head), EMBEDDINGS.positionIds];
}

/** Names of the 2-D weights that feed a MatMul as its second input (what int8 dynamic quantization rewrites). */
export function matMulWeightNames(numLayers: number, head = true): string[] {
  return weightNames(numLayers, head).filter((n) => n.endsWith('.weight_t'));
}
