import type { NodeProto } from './onnx-proto.js';
import { constantValues, floatAttr, type GraphIndex, intAttr, intsAttr } from './graph-index.js';

/**
 * One self-attention core as ONNX Runtime's extended-level optimizer leaves a BERT export:
 *
 *   q, k, v [batch, tokens, hidden] -> Reshape [0, 0, heads, size] -> Transpose (k: 0,2,3,1)
 *   FusedMatMul(q, k, alpha) (or MatMul then Div/Mul by a constant) -> Add(mask) -> Softmax
 *   -> MatMul(., v) -> Transpose 0,2,1,3 -> Reshape [0, 0, hidden]
 *
 * with the mask (1 - attention_mask) x fill, unsqueezed to [batch, 1, 1, keys]. The fused
 * attention rewrites replace `nodes` with one operator reading q, k, v and the mask.
 */
export interface AttentionBlock {
  q: string;
  k: string;
  v: string;
  numHeads: number;
  scale: number;
  /** The value masked keys get (the mask's fill), for mask_filter_value. */
  maskFill: number;
  /** The attention core's nodes, from the head splits to the merge. */
  nodes: NodeProto[];
  /** The merge Reshape, whose output the rest of the layer reads. */
  output: NodeProto;
  /** The score product and the probabilities x values product, for rewrites that keep the core. */
  scores: NodeProto;
  context: NodeProto;
}

export interface AttentionMatch {
  blocks: AttentionBlock[];
  /** Why a Softmax was not an attention core of this shape (the first one that failed). */
  reason: string | undefined;
}

class Mismatch extends Error {}

function need<T>(value: T | undefined | null | false, why: string): T {
  if (value === undefined || value === null || value === false) throw new Mismatch(why);
  return value;
}

/** The Transpose(Reshape(x, [0, 0, heads, size])) that splits heads, and x. */
function headSplit(g: GraphIndex, name: string, perm: string): { source: string; heads: number; nodes: NodeProto[] } {
  const transpose = need(g.producer.get(name), `${name} has no producer`);
  need(transpose.opType === 'Transpose' && intsAttr(transpose, 'perm')?.join() === perm, `${name} is not a head split (Transpose ${perm})`);
  const reshape = need(g.producer.get(transpose.input?.[0] ?? ''), 'head split without Reshape');
  need(reshape.opType === 'Reshape', `the head split reads ${reshape.opType}, not Reshape`);
  const shape = need(g.constant(reshape.input?.[1] ?? ''), 'the head split shape is computed, not constant');
  const dims = constantValues(shape);
  need(dims.length === 4 && (dims[2] ?? 0) > 0, `head split shape [${dims.join(', ')}] does not name the heads`);
  for (const t of [name, reshape.output?.[0] ?? '']) need(g.soleConsumer(t), `${t} has other readers`);
  return { source: reshape.input?.[0] ?? '', heads: dims[2] as number, nodes: [reshape, transpose] };
}

/** (1 - Cast(Unsqueeze(attention_mask))) x fill: returns fill. */
function maskFill(g: GraphIndex, name: string): number {
  const mul = need(g.producer.get(name), 'mask has no producer');
  need(mul.opType === 'Mul', `mask is ${mul.opType}, not (1 - mask) x fill`);
  const [a = '', b = ''] = mul.input ?? [];
  const fillName = g.constant(a) ? a : b;
  const sub = need(g.producer.get(fillName === a ? b : a), 'mask Mul reads no Sub');
  const fill = constantValues(need(g.constant(fillName), 'mask fill is not constant'))[0];
  need(sub.opType === 'Sub' && constantValues(g.constant(sub.input?.[0] ?? '') ?? {})[0] === 1, 'mask is not 1 - attention_mask');
  const cast = need(g.producer.get(sub.input?.[1] ?? ''), 'mask Sub reads no Cast');
  const unsqueeze = need(g.producer.get(cast.input?.[0] ?? ''), 'mask Cast reads nothing computed');
  need(cast.opType === 'Cast' && unsqueeze.opType === 'Unsqueeze' && unsqueeze.input?.[0] === 'attention_mask', 'mask is not computed from attention_mask');
  return need(fill, 'mask fill is empty');
}

function matchOne(g: GraphIndex, softmax: NodeProto): AttentionBlock {
  need((intAttr(softmax, 'axis') ?? -1) === -1 || intAttr(softmax, 'axis') === 3, 'Softmax is not over the last axis');
  const add = need(g.producer.get(softmax.input?.[0] ?? ''), 'Softmax reads nothing computed');
  need(add.opType === 'Add' && g.soleConsumer(add.output?.[0] ?? ''), 'Softmax does not read scores + mask');
  const [x = '', y = ''] = add.input ?? [];
  const fromScores = (t: string): boolean => {
    const p = g.producer.get(t);
    if (p?.opType === 'FusedMatMul' || p?.opType === 'MatMul') return true;
    return (p?.opType === 'Div' || p?.opType === 'Mul') && g.producer.get(p.input?.[0] ?? '')?.opType === 'MatMul';
  };
  const scoresName = fromScores(x) ? x : y;
  const fill = maskFill(g, scoresName === x ? y : x);
  let scores = need(g.producer.get(scoresName), 'no score product');
  const nodes: NodeProto[] = [add, softmax];
  let scale: number;
  if (scores.opType === 'FusedMatMul') {
    need((intAttr(scores, 'transA') ?? 0) === 0 && (intAttr(scores, 'transB') ?? 0) === 0, 'FusedMatMul transposes');
    scale = floatAttr(scores, 'alpha') ?? 1;
  } else {
    need(scores.opType === 'Div' || scores.opType === 'Mul', `scores come from ${scores.opType}`);
    const c = constantValues(need(g.constant(scores.input?.[1] ?? ''), 'score scale is not constant'))[0] ?? 1;
    scale = scores.opType === 'Div' ? 1 / c : c;
    nodes.push(scores);
    scores = need(g.producer.get(scores.input?.[0] ?? ''), 'scale reads nothing');
    need(scores.opType === 'MatMul' && g.soleConsumer(scores.output?.[0] ?? ''), 'scale does not read Q x K');
  }
  need(g.soleConsumer(scores.output?.[0] ?? ''), 'scores have other readers');
  const q = headSplit(g, scores.input?.[0] ?? '', '0,2,1,3');
  const k = headSplit(g, scores.input?.[1] ?? '', '0,2,3,1');
  const context = need(g.soleConsumer(softmax.output?.[0] ?? ''), 'probabilities have other readers');
  need(context.opType === 'MatMul' && context.input?.[0] === softmax.output?.[0], 'probabilities are not multiplied by V');
  const v = headSplit(g, context.input?.[1] ?? '', '0,2,1,3');
  const merge = need(g.soleConsumer(context.output?.[0] ?? ''), 'context has other readers');
  need(merge.opType === 'Transpose' && intsAttr(merge, 'perm')?.join() === '0,2,1,3', 'context is not transposed back');
  const output = need(g.soleConsumer(merge.output?.[0] ?? ''), 'merged context has other readers');
  need(output.opType === 'Reshape', 'context is not reshaped back');
  need(q.heads === k.heads && k.heads === v.heads, 'Q, K and V split into different head counts');
  return { q: q.source, k: k.source, v: v.source, numHeads: q.heads, scale, maskFill: fill, nodes: [...nodes, scores, ...q.nodes, ...k.nodes, ...v.nodes, context, merge, output], output, scores, context };
}

export function findAttentionBlocks(g: GraphIndex): AttentionMatch {
  const blocks: AttentionBlock[] = [];
  let reason: string | undefined;
  for (const softmax of g.nodes.filter((n) => n.opType === 'Softmax')) {
    try {
      blocks.push(matchOne(g, softmax));
    } catch (err) {
      if (!(err instanceof Mismatch)) throw err;
      reason ??= err.message;
    }
  }
  if (blocks.length === 0) reason ??= 'the graph has no Softmax';
  return { blocks, reason };
}
