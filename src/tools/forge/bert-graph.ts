import { DataType, GraphBuilder, int, ints } from './graph-builder.js';
import type { ModelProto, ValueInfoProto } from './onnx-proto.js';
import type { ForgePreset } from './presets.js';
import type { FloatTensor } from './weights.js';
import { EMBEDDINGS, HEAD, layerWeightNames } from './weight-names.js';

/**
 * Added to attention scores of padded keys. -10000 is the value BERT exports
 * used before transformers switched to finfo.min; it is already far enough
 * below any score to zero the softmax, and it survives a float16 conversion.
 */
export const ATTENTION_MASK_FILL = -10000;

export const OPSET_VERSION = 14;
export const IR_VERSION = 8;

export interface BertGraphSpec {
  preset: ForgePreset;
  numLabels: number;
  maxPositions: number;
  tokenTypeIds: boolean;
  weights: Map<string, FloatTensor>;
}

function int64Input(name: string): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.INT64,
        shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] },
      },
    },
  };
}

/**
 * Builds the operator pattern of a PyTorch opset-14 export of
 * BertForSequenceClassification (decomposed LayerNorm, Erf GELU, MatMul + Add
 * linears), because ONNX Runtime's transformer fusions match exactly that.
 */
export function buildBertModel(spec: BertGraphSpec): ModelProto {
  const { preset } = spec;
  const g = new GraphBuilder();
  const H = preset.hiddenSize;
  const heads = preset.numAttentionHeads;
  const headDim = H / heads;
  if (!Number.isInteger(headDim)) throw new Error(`hidden size ${H} is not divisible by ${heads} heads`);

  for (const [name, t] of spec.weights) g.addFloat(name, t.dims, t.data);
  const positionIds = Array.from({ length: spec.maxPositions }, (_, i) => i);
  g.addInt64(EMBEDDINGS.positionIds, [1, spec.maxPositions], positionIds);

  const layerNorm = (x: string, gamma: string, beta: string): string =>
    g.scoped('LayerNorm', () => {
      const mean = g.op('ReduceMean', [x], { axes: ints([-1]), keepdims: int(1) });
      const centered = g.op('Sub', [x, mean]);
      const squared = g.op('Pow', [centered, g.floatConst(2)]);
      const variance = g.op('ReduceMean', [squared], { axes: ints([-1]), keepdims: int(1) });
      const std = g.op('Sqrt', [g.op('Add', [variance, g.floatConst(preset.layerNormEps)])]);
      const normed = g.op('Div', [centered, std]);
      return g.op('Add', [g.op('Mul', [normed, gamma]), beta]);
    });
  const linear = (x: string, weight: string, bias: string): string =>
    g.op('Add', [g.op('MatMul', [x, weight]), bias]);

  const hidden0 = g.scoped('embeddings', () => {
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
    return layerNorm(sum, EMBEDDINGS.layerNormWeight, EMBEDDINGS.layerNormBias);
  });

  const maskBias = g.scoped('extended_attention_mask', () => {
    const expanded = g.op('Unsqueeze', ['attention_mask', g.int64Const([1, 2])]);
    const asFloat = g.op('Cast', [expanded], { to: int(DataType.FLOAT) });
    const inverted = g.op('Sub', [g.floatConst(1), asFloat]);
    return g.op('Mul', [inverted, g.floatConst(ATTENTION_MASK_FILL)]);
  });

  const splitHeadsShape = g.int64Const([0, 0, heads, headDim]);
  const mergeHeadsShape = g.int64Const([0, 0, H]);
  let hidden = hidden0;
  for (let layer = 0; layer < preset.numHiddenLayers; layer++) {
    const n = layerWeightNames(layer);
    hidden = g.scoped(`encoder/layer.${layer}`, () => {
      const attended = g.scoped('attention', () => {
        const heads4d = (w: string, b: string, perm: number[]): string =>
          g.op('Transpose', [g.op('Reshape', [linear(hidden, w, b), splitHeadsShape])], { perm: ints(perm) });
        const q = heads4d(n.queryWeight, n.queryBias, [0, 2, 1, 3]);
        const k = heads4d(n.keyWeight, n.keyBias, [0, 2, 3, 1]);
        const v = heads4d(n.valueWeight, n.valueBias, [0, 2, 1, 3]);
        const scores = g.op('Div', [g.op('MatMul', [q, k]), g.floatConst(Math.sqrt(headDim))]);
        const probs = g.op('Softmax', [g.op('Add', [scores, maskBias])], { axis: int(-1) });
        const context = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: ints([0, 2, 1, 3]) });
        const merged = g.op('Reshape', [context, mergeHeadsShape]);
        const projected = linear(merged, n.attentionOutputWeight, n.attentionOutputBias);
        return layerNorm(g.op('Add', [projected, hidden]), n.attentionLayerNormWeight, n.attentionLayerNormBias);
      });
      return g.scoped('ffn', () => {
        const inner = linear(attended, n.intermediateWeight, n.intermediateBias);
        const erf = g.op('Erf', [g.op('Div', [inner, g.floatConst(Math.SQRT2)])]);
        const gelu = g.op('Mul', [g.op('Mul', [inner, g.op('Add', [erf, g.floatConst(1)])]), g.floatConst(0.5)]);
        const out = linear(gelu, n.outputWeight, n.outputBias);
        return layerNorm(g.op('Add', [out, attended]), n.outputLayerNormWeight, n.outputLayerNormBias);
      });
    });
  }

  const embedder = preset.kind === 'embedder';
  if (embedder) {
    // optimum's feature-extraction export: the encoder's output is the graph's output.
    g.op('Identity', [hidden], {}, 'last_hidden_state');
  } else {
    g.scoped('head', () => {
      const cls = g.op('Gather', [hidden, g.int64Const(0)], { axis: int(1) });
      const pooled = g.op('Tanh', [linear(cls, HEAD.poolerWeight, HEAD.poolerBias)]);
      g.op('Add', [g.op('MatMul', [pooled, HEAD.classifierWeight]), HEAD.classifierBias], {}, 'logits');
    });
  }

  const inputs = [int64Input('input_ids'), int64Input('attention_mask')];
  if (spec.tokenTypeIds) inputs.push(int64Input('token_type_ids'));
  const output: ValueInfoProto = embedder
    ? { name: 'last_hidden_state', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: H }] } } } }
    : { name: 'logits', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'batch_size' }, { dimValue: spec.numLabels }] } } } };
  return {
    irVersion: IR_VERSION,
    producerName: 'reranker-forge',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    graph: {
      name: embedder ? 'forged_bert_embedder' : 'forged_bert_cross_encoder',
      node: g.nodes,
      initializer: g.initializers,
      input: inputs,
      output: [output],
    },
  };
}
