import { tensorDims, type ModelProto, type NodeProto } from '../onnx-proto.js';
import { attr, floatAttr, GraphIndex, intAttr, MS_DOMAIN } from '../graph-index.js';
import { unchanged, type RewriteOutcome } from './rewrite.js';

/*
 * Element-wise fusions on ONNX Runtime's fused graph: what it fuses in fp32 but loses in the int8
 * graph (bias + GELU), and what it does not fuse in either (residual Add + LayerNormalization).
 * All measured slower on the reference machine (see rewrites.ts); none is on by default.
 */

function isVector(g: GraphIndex, name: string): boolean {
  const t = g.constant(name);
  return t !== undefined && tensorDims(t).length === 1;
}

/**
 * Add(x, residual) -> LayerNormalization becomes com.microsoft SkipLayerNormalization(x, residual,
 * gamma, beta[, bias]), folding a bias Add in front of it too (fp32, where the bias is not already
 * inside a quantized GEMM). The embeddings' sum is left alone: its position term broadcasts.
 */
export function skipLayerNorm(model: ModelProto): RewriteOutcome {
  const g = new GraphIndex(model);
  const gone = new Set<NodeProto>();
  let count = 0;
  for (const ln of g.nodes) {
    if (ln.opType !== 'LayerNormalization' || (intAttr(ln, 'axis') ?? -1) !== -1 || (ln.output ?? []).length > 1) continue;
    const add = g.producer.get(ln.input?.[0] ?? '');
    if (add?.opType !== 'Add' || !g.soleConsumer(add.output?.[0] ?? '')) continue;
    const [a = '', b = ''] = add.input ?? [];
    if (g.constant(a) || g.constant(b) || [a, b].some((t) => g.producer.get(t)?.opType === 'Gather')) continue;
    let input = a;
    let bias: string | undefined;
    const biasAdd = g.producer.get(a);
    if (biasAdd?.opType === 'Add' && g.soleConsumer(a) && isVector(g, biasAdd.input?.[1] ?? '')) {
      input = biasAdd.input?.[0] ?? '';
      bias = biasAdd.input?.[1];
      gone.add(biasAdd);
    }
    gone.add(add);
    ln.opType = 'SkipLayerNormalization';
    ln.domain = MS_DOMAIN;
    ln.input = [input, b, ln.input?.[1] ?? '', ln.input?.[2] ?? '', ...(bias ? [bias] : [])];
    ln.attribute = [attr.float('epsilon', floatAttr(ln, 'epsilon') ?? 1e-5)];
    count++;
  }
  if (count === 0) return unchanged('no Add feeding a LayerNormalization over the last axis');
  g.useMicrosoftDomain();
  const graph = model.graph as NonNullable<ModelProto['graph']>;
  graph.node = (graph.node ?? []).filter((n) => !gone.has(n));
  return { applied: count };
}

/**
 * int8: ONNX Runtime folds the feed-forward bias into the quantized GEMM and leaves a bare Gelu.
 * This moves the bias back out into com.microsoft BiasGelu, the fusion the fp32 graph gets.
 */
export function biasGelu(model: ModelProto): RewriteOutcome {
  const g = new GraphIndex(model);
  let count = 0;
  for (const gelu of g.nodes) {
    if (gelu.opType !== 'Gelu') continue;
    const mm = g.producer.get(gelu.input?.[0] ?? '');
    const bias = mm?.input?.[4];
    if (mm?.opType !== 'DynamicQuantizeMatMul' || !bias || !g.soleConsumer(mm.output?.[0] ?? '')) continue;
    mm.input = (mm.input ?? []).slice(0, 4);
    gelu.opType = 'BiasGelu';
    gelu.domain = MS_DOMAIN;
    gelu.input = [gelu.input?.[0] ?? '', bias];
    count++;
  }
  return count === 0 ? unchanged('no Gelu after a DynamicQuantizeMatMul with a bias (run it on a quantized graph)') : { applied: count };
}

/** int8: Gelu (erf) becomes com.microsoft FastGelu (tanh approximation, ~1e-3 apart). */
export function fastGelu(model: ModelProto): RewriteOutcome {
  const g = new GraphIndex(model);
  let count = 0;
  for (const n of g.nodes) {
    if (n.opType === 'Gelu' || n.opType === 'BiasGelu') {
      n.opType = 'FastGelu';
      n.domain = MS_DOMAIN;
      count++;
    }
  }
  return count === 0 ? unchanged('no Gelu') : { applied: count };
}
