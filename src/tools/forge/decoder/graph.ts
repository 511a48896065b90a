import { DataType, type ModelProto, type ValueInfoProto } from '../../../graph/onnx-proto.js';
import { GraphBuilder, int, ints } from '../graph-builder.js';
import type { FloatTensor } from '../weights.js';
import type { DecoderPreset } from './presets.js';
import { DECODER_NAMES, type DecoderLayerNames } from './weights.js';

/**
 * The operator pattern of a PyTorch export of Qwen3ForCausalLM / Qwen2ForCausalLM for text
 * generation, as optimum writes it: inputs input_ids, attention_mask ([batch, past + sequence]),
 * position_ids and (with `pastKeyValues`) past_key_values.{i}.key/value; outputs logits [batch,
 * sequence, vocab] and present.{i}.key/value. Decomposed RMSNorm, rotary embeddings from the
 * position ids, grouped-query attention with a causal and padding mask, SwiGLU, and the LM head
 * over every position (the tied embedding matrix when tie_word_embeddings), which is what the
 * service's score-head rewrite has to find.
 */

export const DECODER_OPSET = 14;
/** Added to the scores of keys a query may not see: float32's lowest value, as transformers does. */
const MASK_FILL = -3.4028234663852886e38;

export interface DecoderGraphSpec {
  preset: DecoderPreset;
  weights: Map<string, FloatTensor>;
  /** Declare past_key_values inputs and present outputs (optimum's text-generation-with-past). */
  pastKeyValues: boolean;
  /**
   * 'lm': the LM head over every position (a causal LM). 'score': a converted sequence classifier
   * (Qwen3ForSequenceClassification): one logit from `score.weight_t` at each sequence's last token
   * that is not `padId`, found as transformers finds it.
   */
  head?: 'lm' | 'score';
  padId?: number;
  /**
   * 'decomposed' (optimum's plain export) or 'gqa': ONNX Runtime's fused
   * com.microsoft.GroupQueryAttention, as onnx-community's Qwen3-Reranker files carry it (their
   * export ran ONNX Runtime's level-2 fusions). Its key lengths come from attention_mask
   * (seqlens_k = sum - 1), so it reads right-padded batches; rotary stays outside it here.
   */
  attention?: 'decomposed' | 'gqa';
}

function tensorInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

/** x * rsqrt(mean(x^2) + eps) * weight over the last axis (Qwen's RMSNorm). */
function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  return g.scoped('RMSNorm', () => {
    const variance = g.op('ReduceMean', [g.op('Pow', [x, g.floatConst(2)])], { axes: ints([-1]), keepdims: int(1) });
    const inverse = g.op('Div', [g.floatConst(1), g.op('Sqrt', [g.op('Add', [variance, g.floatConst(eps)])])]);
    return g.op('Mul', [weight, g.op('Mul', [x, inverse])]);
  });
}

/** Rotary embedding over [batch, heads, seq, head_dim]: x * cos + rotate_half(x) * sin. */
function rotate(g: GraphBuilder, x: string, cos: string, sin: string, headDim: number): string {
  const half = headDim / 2;
  const first = g.op('Slice', [x, g.int64Const([0]), g.int64Const([half]), g.int64Const([3])]);
  const second = g.op('Slice', [x, g.int64Const([half]), g.int64Const([headDim]), g.int64Const([3])]);
  const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: int(-1) });
  return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
}

function projection(g: GraphBuilder, x: string, weight: string, bias: string | undefined): string {
  const product = g.op('MatMul', [x, weight]);
  return bias === undefined ? product : g.op('Add', [product, bias]);
}

export function buildDecoderModel(spec: DecoderGraphSpec): ModelProto {
  const { preset } = spec;
  const { headDim, numAttentionHeads: heads, numKeyValueHeads: kvHeads } = preset;
  if (heads % kvHeads !== 0) throw new Error(`${heads} attention heads cannot share ${kvHeads} key/value heads evenly`);
  if (headDim % 2 !== 0) throw new Error(`rotary embeddings need an even head_dim, got ${headDim}`);
  const groups = heads / kvHeads;
  const g = new GraphBuilder();
  for (const [name, t] of spec.weights) g.addFloat(name, t.dims, t.data);
  // torch computes inv_freq in float32: 1 / theta^(2i / head_dim).
  const invFreq = Float32Array.from({ length: headDim / 2 }, (_, i) => 1 / Math.fround(preset.ropeTheta ** Math.fround((2 * i) / headDim)));
  const invFreqName = g.addFloat('model.rotary_emb.inv_freq', [headDim / 2], invFreq);

  const [cos, sin] = g.scoped('rotary_emb', () => {
    const positions = g.op('Unsqueeze', [g.op('Cast', ['position_ids'], { to: int(DataType.FLOAT) }), g.int64Const([2])]);
    const freqs = g.op('Mul', [positions, invFreqName]);
    const emb = g.op('Concat', [freqs, freqs], { axis: int(-1) });
    return [g.op('Unsqueeze', [g.op('Cos', [emb]), g.int64Const([1])]), g.op('Unsqueeze', [g.op('Sin', [emb]), g.int64Const([1])])];
  });

  const gqa = spec.attention === 'gqa';
  const lengths = gqa
    ? g.scoped('gqa_lengths', () => ({
        seqlensK: g.op('Cast', [g.op('Sub', [g.op('ReduceSum', ['attention_mask', g.int64Const([1])], { keepdims: int(0) }), g.int64Const(1)])], { to: int(DataType.INT32) }),
        total: g.op('Cast', [g.op('Gather', [g.op('Shape', ['attention_mask']), g.int64Const(1)], { axis: int(0) })], { to: int(DataType.INT32) }),
      }))
    : undefined;
  // [batch, 1, groups * seq, total]: a query row sees keys at or before its own position, and no padding.
  const maskBias = gqa ? '' : g.scoped('causal_mask', () => {
    const seqLen = g.op('Gather', [g.op('Shape', ['input_ids']), g.int64Const(1)], { axis: int(0) });
    const total = g.op('Gather', [g.op('Shape', ['attention_mask']), g.int64Const(1)], { axis: int(0) });
    const queryPositions = g.op('Range', [g.op('Sub', [total, seqLen]), total, g.int64Const(1)]);
    const keyPositions = g.op('Range', [g.int64Const(0), total, g.int64Const(1)]);
    const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [keyPositions, g.int64Const([0])]), g.op('Unsqueeze', [queryPositions, g.int64Const([1])])]);
    const present = g.op('Cast', [g.op('Unsqueeze', ['attention_mask', g.int64Const([1, 2])])], { to: int(DataType.BOOL) });
    const bias = g.op('Where', [g.op('And', [causal, present]), g.floatConst(0), g.floatConst(MASK_FILL)]);
    return g.op('Tile', [bias, g.int64Const([1, 1, groups, 1])]);
  });

  const splitHeads = (n: number) => g.int64Const([0, 0, n, headDim]);
  const layer = (x: string, i: number, n: DecoderLayerNames): string => {
    const attended = g.scoped('self_attn', () => {
      const h = rmsNorm(g, x, n.inputNorm, preset.rmsNormEps);
      const qwen2 = preset.family === 'qwen2';
      const heads4d = (weight: string, bias: string, count: number, norm: string | undefined): string => {
        let t = g.op('Reshape', [projection(g, h, weight, qwen2 ? bias : undefined), splitHeads(count)]);
        if (norm !== undefined) t = rmsNorm(g, t, norm, preset.rmsNormEps);
        return g.op('Transpose', [t], { perm: ints([0, 2, 1, 3]) });
      };
      const q = rotate(g, heads4d(n.q, n.qBias, heads, qwen2 ? undefined : n.qNorm), cos, sin, headDim);
      let k = rotate(g, heads4d(n.k, n.kBias, kvHeads, qwen2 ? undefined : n.kNorm), cos, sin, headDim);
      let v = heads4d(n.v, n.vBias, kvHeads, undefined);
      if (lengths !== undefined) {
        const flat = (t: string, count: number) => g.op('Reshape', [g.op('Transpose', [t], { perm: ints([0, 2, 1, 3]) }), g.int64Const([0, 0, count * headDim])]);
        const past = spec.pastKeyValues ? [`past_key_values.${i}.key`, `past_key_values.${i}.value`] : ['', ''];
        const outputs = [`/layers.${i}/self_attn/gqa_output`, spec.pastKeyValues ? `present.${i}.key` : `/layers.${i}/self_attn/present_key`, spec.pastKeyValues ? `present.${i}.value` : `/layers.${i}/self_attn/present_value`];
        const [context] = g.contribOp('GroupQueryAttention', [flat(q, heads), flat(k, kvHeads), flat(v, kvHeads), ...past, lengths.seqlensK, lengths.total], { num_heads: int(heads), kv_num_heads: int(kvHeads) }, outputs);
        return g.op('Add', [x, g.op('MatMul', [context as string, n.o])]);
      }
      if (spec.pastKeyValues) {
        k = g.op('Concat', [`past_key_values.${i}.key`, k], { axis: int(2) }, `present.${i}.key`);
        v = g.op('Concat', [`past_key_values.${i}.value`, v], { axis: int(2) }, `present.${i}.value`);
      }
      // Each key/value head serves `groups` query heads: fold them into the query rows instead of repeating K and V.
      const grouped = g.op('Reshape', [q, g.int64Const([0, kvHeads, -1, headDim])]);
      const scores = g.op('Mul', [g.op('MatMul', [grouped, g.op('Transpose', [k], { perm: ints([0, 1, 3, 2]) })]), g.floatConst(1 / Math.sqrt(headDim))]);
      const probs = g.op('Softmax', [g.op('Add', [scores, maskBias])], { axis: int(-1) });
      const context = g.op('Reshape', [g.op('MatMul', [probs, v]), g.int64Const([0, heads, -1, headDim])]);
      const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: ints([0, 2, 1, 3]) }), g.int64Const([0, 0, heads * headDim])]);
      return g.op('Add', [x, g.op('MatMul', [merged, n.o])]);
    });
    return g.scoped('mlp', () => {
      const h = rmsNorm(g, attended, n.postNorm, preset.rmsNormEps);
      const gate = g.op('MatMul', [h, n.gate]);
      const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate])]);
      const inner = g.op('Mul', [silu, g.op('MatMul', [h, n.up])]);
      return g.op('Add', [attended, g.op('MatMul', [inner, n.down])]);
    });
  };

  let hidden = g.scoped('embed_tokens', () => g.op('Gather', [DECODER_NAMES.embed, 'input_ids']));
  for (let i = 0; i < preset.numHiddenLayers; i++) hidden = g.scoped(`layers.${i}`, () => layer(hidden, i, DECODER_NAMES.layer(i)));
  const normed = g.scoped('norm', () => rmsNorm(g, hidden, DECODER_NAMES.norm, preset.rmsNormEps));
  if (spec.head === 'score') {
    g.scoped('score', () => {
      // transformers: the last position whose token is not the pad token ((positions * non_pad).argmax(-1)).
      const shape = g.op('Shape', ['input_ids']);
      const seqLen = g.op('Gather', [shape, g.int64Const(1)], { axis: int(0) });
      const batch = g.op('Gather', [shape, g.int64Const(0)], { axis: int(0) });
      const nonPad = g.op('Cast', [g.op('Not', [g.op('Equal', ['input_ids', g.int64Const(spec.padId ?? 151643)])])], { to: int(DataType.INT64) });
      const last = g.op('ArgMax', [g.op('Mul', [nonPad, g.op('Range', [g.int64Const(0), seqLen, g.int64Const(1)])])], { axis: int(-1), keepdims: int(0) });
      const rows = g.op('Add', [g.op('Mul', [g.op('Range', [g.int64Const(0), batch, g.int64Const(1)]), seqLen]), last]);
      const pooled = g.op('Gather', [g.op('Reshape', [normed, g.int64Const([-1, preset.hiddenSize])]), rows], { axis: int(0) });
      g.op('MatMul', [pooled, DECODER_NAMES.score], {}, 'logits');
    });
  } else {
    g.scoped('lm_head', () => {
      const weight = preset.tieWordEmbeddings ? g.op('Transpose', [DECODER_NAMES.embed], { perm: ints([1, 0]) }) : DECODER_NAMES.lmHead;
      g.op('MatMul', [normed, weight], {}, 'logits');
    });
  }

  const inputs = [
    tensorInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']),
    tensorInfo('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']),
    tensorInfo('position_ids', DataType.INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs = [spec.head === 'score' ? tensorInfo('logits', DataType.FLOAT, ['batch_size', 1]) : tensorInfo('logits', DataType.FLOAT, ['batch_size', 'sequence_length', preset.vocabSize])];
  if (spec.pastKeyValues) {
    for (let i = 0; i < preset.numHiddenLayers; i++) {
      for (const part of ['key', 'value']) {
        inputs.push(tensorInfo(`past_key_values.${i}.${part}`, DataType.FLOAT, ['batch_size', kvHeads, 'past_sequence_length', headDim]));
        outputs.push(tensorInfo(`present.${i}.${part}`, DataType.FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim]));
      }
    }
  }
  return {
    irVersion: 8,
    producerName: 'reranker-forge',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: DECODER_OPSET }, ...(gqa ? [{ domain: 'com.microsoft', version: 1 }] : [])],
    graph: { name: `forged_${preset.family}_causal_lm`, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  };
}
