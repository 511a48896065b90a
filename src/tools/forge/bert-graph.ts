import { attentionMaskBias, checkHeads, encoderLayers, int64Input, layerNorm, modelProto, outputHead } from './encoder-graph.js';
import { GraphBuilder, int } from './graph-builder.js';
import type { ModelProto } from '../../graph/onnx-proto.js';
import type { ForgePreset } from './presets.js';
import type { FloatTensor } from './weights.js';
import { EMBEDDINGS, HEAD, layerWeightNames } from './weight-names.js';

export { ATTENTION_MASK_FILL, IR_VERSION, OPSET_VERSION } from './encoder-graph.js';

export interface BertGraphSpec {
  preset: ForgePreset;
  numLabels: number;
  maxPositions: number;
  tokenTypeIds: boolean;
  weights: Map<string, FloatTensor>;
}

/**
 * Builds the operator pattern of a PyTorch opset-14 export of
 * BertForSequenceClassification (decomposed LayerNorm, Erf GELU, MatMul + Add
 * linears), because ONNX Runtime's transformer fusions match exactly that.
 */
export function buildBertModel(spec: BertGraphSpec): ModelProto {
  const { preset } = spec;
  checkHeads(preset);
  const g = new GraphBuilder();

  for (const [name, t] of spec.weights) g.addFloat(name, t.dims, t.data);
  const positionIds = Array.from({ length: spec.maxPositions }, (_, i) => i);
  g.addInt64(EMBEDDINGS.positionIds, [1, spec.maxPositions], positionIds);

  const embedded = g.scoped('embeddings', () => {
    const shape = g.op('Shape', ['input_ids']);
    const seqLen = g.op('Gather', [shape, g.int64Const(1)], { axis: int(0) });
    const seqLen1d = g.op('Unsqueeze', [seqLen, g.int64Const([0])]);
    const positions = g.op('Slice', [EMBEDDINGS.positionIds, g.int64Const([0]), seqLen1d, g.int64Const([1])]);
    const words = g.op('Gather', [EMBEDDINGS.word, 'input_ids']);
    // Without a token_type_ids input every token is segment 0, exactly as the
    // model's buffered zero token types behave in PyTorch.
    const types = spec.tokenTypeIds
      ? g.op('Gather', [EMBEDDINGS.tokenType, 'token_type_ids'])
      : g.op('Gather', [EMBEDDINGS.tokenType, g.int64Const(0)]);
    const sum = g.op('Add', [g.op('Add', [words, types]), g.op('Gather', [EMBEDDINGS.position, positions])]);
    return layerNorm(g, sum, EMBEDDINGS.layerNormWeight, EMBEDDINGS.layerNormBias, preset.layerNormEps);
  });

  const hidden = encoderLayers(g, preset, embedded, attentionMaskBias(g), (layer) => layerWeightNames(layer));
  outputHead(g, preset, hidden, HEAD);

  const inputs = [int64Input('input_ids'), int64Input('attention_mask')];
  if (spec.tokenTypeIds) inputs.push(int64Input('token_type_ids'));
  return modelProto(g, preset, spec.numLabels, inputs, preset.kind === 'embedder' ? 'forged_bert_embedder' : 'forged_bert_cross_encoder');
}
