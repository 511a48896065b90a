import { DataType, type GraphBuilder, int, ints } from './graph-builder.js';
import type { ModelProto, ValueInfoProto } from '../../graph/onnx-proto.js';
import type { ForgePreset } from './presets.js';
import type { HeadNames, LayerWeightNames } from './weight-names.js';

/**
 * The parts of a PyTorch opset-14 export that BERT and XLM-RoBERTa share: decomposed LayerNorm,
 * MatMul + Add linears, the additive attention mask, the encoder layers with Erf GELU, the
 * tanh-dense-then-linear classifier over the first token, and the model proto around the graph.
 * ONNX Runtime's transformer fusions match exactly this pattern. The families differ only in their
 * embeddings (bert-graph.ts, xlmr-graph.ts) and weight names.
 */

/**
 * Added to attention scores of padded keys. -10000 is the value BERT exports
 * used before transformers switched to finfo.min; it is already far enough
 * below any score to zero the softmax, and it survives a float16 conversion.
 */
export const ATTENTION_MASK_FILL = -10000;

export const OPSET_VERSION = 14;
export const IR_VERSION = 8;

export function int64Input(name: string): ValueInfoProto {
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

export function layerNorm(g: GraphBuilder, x: string, gamma: string, beta: string, eps: number): string {
  return g.scoped('LayerNorm', () => {
    const mean = g.op('ReduceMean', [x], { axes: ints([-1]), keepdims: int(1) });
    const centered = g.op('Sub', [x, mean]);
    const squared = g.op('Pow', [centered, g.floatConst(2)]);
    const variance = g.op('ReduceMean', [squared], { axes: ints([-1]), keepdims: int(1) });
    const std = g.op('Sqrt', [g.op('Add', [variance, g.floatConst(eps)])]);
    const normed = g.op('Div', [centered, std]);
    return g.op('Add', [g.op('Mul', [normed, gamma]), beta]);
  });
}

export function linear(g: GraphBuilder, x: string, weight: string, bias: string): string {
  return g.op('Add', [g.op('MatMul', [x, weight]), bias]);
}

/** (1 - mask) * fill, shaped [batch, 1, 1, keys] to add to every head's scores. */
export function attentionMaskBias(g: GraphBuilder): string {
  return g.scoped('extended_attention_mask', () => {
    const expanded = g.op('Unsqueeze', ['attention_mask', g.int64Const([1, 2])]);
    const asFloat = g.op('Cast', [expanded], { to: int(DataType.FLOAT) });
    const inverted = g.op('Sub', [g.floatConst(1), asFloat]);
    return g.op('Mul', [inverted, g.floatConst(ATTENTION_MASK_FILL)]);
  });
}

/** The encoder stack over the embeddings' output; returns the last hidden state. */
export function encoderLayers(g: GraphBuilder, preset: ForgePreset, embedded: string, maskBias: string, names: (layer: number) => LayerWeightNames): string {
  const H = preset.hiddenSize;
  const heads = preset.numAttentionHeads;
  const headDim = H / heads;
  const splitHeadsShape = g.int64Const([0, 0, heads, headDim]);
  const mergeHeadsShape = g.int64Const([0, 0, H]);
  let hidden = embedded;
  for (let layer = 0; layer < preset.numHiddenLayers; layer++) {
    const n = names(layer);
    hidden = g.scoped(`encoder/layer.${layer}`, () => {
      const attended = g.scoped('attention', () => {
        const heads4d = (w: string, b: string, perm: number[]): string =>
          g.op('Transpose', [g.op('Reshape', [linear(g, hidden, w, b), splitHeadsShape])], { perm: ints(perm) });
        const q = heads4d(n.queryWeight, n.queryBias, [0, 2, 1, 3]);
        const k = heads4d(n.keyWeight, n.keyBias, [0, 2, 3, 1]);
        const v = heads4d(n.valueWeight, n.valueBias, [0, 2, 1, 3]);
        const scores = g.op('Div', [g.op('MatMul', [q, k]), g.floatConst(Math.sqrt(headDim))]);
        const probs = g.op('Softmax', [g.op('Add', [scores, maskBias])], { axis: int(-1) });
        const context = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: ints([0, 2, 1, 3]) });
        const merged = g.op('Reshape', [context, mergeHeadsShape]);
        const projected = linear(g, merged, n.attentionOutputWeight, n.attentionOutputBias);
        return layerNorm(g, g.op('Add', [projected, hidden]), n.attentionLayerNormWeight, n.attentionLayerNormBias, preset.layerNormEps);
      });
      return g.scoped('ffn', () => {
        const inner = linear(g, attended, n.intermediateWeight, n.intermediateBias);
        const erf = g.op('Erf', [g.op('Div', [inner, g.floatConst(Math.SQRT2)])]);
        const gelu = g.op('Mul', [g.op('Mul', [inner, g.op('Add', [erf, g.floatConst(1)])]), g.floatConst(0.5)]);
        const out = linear(g, gelu, n.outputWeight, n.outputBias);
        return layerNorm(g, g.op('Add', [out, attended]), n.outputLayerNormWeight, n.outputLayerNormBias, preset.layerNormEps);
      });
    });
  }
  return hidden;
}

/**
 * The graph's output: last_hidden_state for an embedder (optimum's feature-extraction export), else
 * logits from tanh(dense(first token)) then a linear layer (BERT's pooler and classifier, XLM-R's
 * classification head: the same operations under other names).
 */
export function outputHead(g: GraphBuilder, preset: ForgePreset, hidden: string, head: HeadNames): void {
  if (preset.kind === 'embedder') {
    g.op('Identity', [hidden], {}, 'last_hidden_state');
    return;
  }
  g.scoped('head', () => {
    const cls = g.op('Gather', [hidden, g.int64Const(0)], { axis: int(1) });
    const pooled = g.op('Tanh', [linear(g, cls, head.poolerWeight, head.poolerBias)]);
    g.op('Add', [g.op('MatMul', [pooled, head.classifierWeight]), head.classifierBias], {}, 'logits');
  });
}

/** The model proto around a finished graph. */
export function modelProto(g: GraphBuilder, preset: ForgePreset, numLabels: number, inputs: ValueInfoProto[], name: string): ModelProto {
  const H = preset.hiddenSize;
  const output: ValueInfoProto =
    preset.kind === 'embedder'
      ? { name: 'last_hidden_state', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: H }] } } } }
      : { name: 'logits', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'batch_size' }, { dimValue: numLabels }] } } } };
  return {
    irVersion: IR_VERSION,
    producerName: 'reranker-forge',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    graph: { name, node: g.nodes, initializer: g.initializers, input: inputs, output: [output] },
  };
}

export function checkHeads(preset: ForgePreset): void {
  const headDim = preset.hiddenSize / preset.numAttentionHeads;
  if (!Number.isInteger(headDim)) throw new Error(`hidden size ${preset.hiddenSize} is not divisible by ${preset.numAttentionHeads} heads`);
}
