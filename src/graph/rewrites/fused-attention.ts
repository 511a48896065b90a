import { DataType, tensorDims, type AttributeProto, type ModelProto, type NodeProto, type TensorProto } from '../onnx-proto.js';
import { findAttentionBlocks, type AttentionBlock } from '../attention-block.js';
import { attr, constantValues, GraphIndex, isScalar, MS_DOMAIN, topologicalOrder } from '../graph-index.js';
import { unchanged, type RewriteOutcome } from './rewrite.js';

/*
 * Attention-core rewrites on ONNX Runtime's fused graph, each replacing the ~14 nodes of a core
 * (attention-block.ts) with ONNX Runtime's fused CPU operators. All of them measured slower than
 * the nodes they replace on the reference machine (see rewrites.ts), so none is on by default.
 */

const ORT_DEFAULT_MASK_FILL = -10000;

function maskInt32(g: GraphIndex, model: ModelProto): string {
  const existing = g.nodes.find((n) => n.opType === 'Cast' && n.input?.[0] === 'attention_mask' && n.output?.[0]?.endsWith('_int32'));
  if (existing?.output?.[0]) return existing.output[0];
  const out = g.fresh('attention_mask_int32');
  const graph = model.graph as NonNullable<ModelProto['graph']>;
  graph.node = [{ name: g.fresh('attention_mask_Cast_int32'), opType: 'Cast', input: ['attention_mask'], output: [out], attribute: [attr.int('to', DataType.INT32)] }, ...(graph.node ?? [])];
  g.refresh();
  return out;
}

/** Replaces a block's nodes with `replacement`, which writes the block's output. */
function replaceBlock(model: ModelProto, block: AttentionBlock, replacement: NodeProto[], alsoRemove: NodeProto[] = []): void {
  const graph = model.graph as NonNullable<ModelProto['graph']>;
  const gone = new Set([...block.nodes, ...alsoRemove]);
  graph.node = [...(graph.node ?? []).filter((n) => !gone.has(n)), ...replacement];
}

function coreAttributes(block: AttentionBlock): NodeProto['attribute'] {
  return [attr.int('num_heads', block.numHeads), attr.float('scale', block.scale), attr.float('mask_filter_value', block.maskFill)];
}

function finish(g: GraphIndex, model: ModelProto, count: number): RewriteOutcome {
  topologicalOrder(model);
  g.refresh();
  g.dropUnusedInitializers();
  return { applied: count };
}

/** com.microsoft MultiHeadAttention over the projections the graph already computes (fp32 or int8). */
export function multiHeadAttention(model: ModelProto): RewriteOutcome {
  const g = new GraphIndex(model);
  const { blocks, reason } = findAttentionBlocks(g);
  if (blocks.length === 0) return unchanged(reason ?? 'no attention core');
  g.useMicrosoftDomain();
  const mask = maskInt32(g, model);
  for (const b of blocks) {
    replaceBlock(model, b, [{ name: g.fresh(`${b.output.name ?? 'attention'}_MultiHeadAttention`), opType: 'MultiHeadAttention', domain: MS_DOMAIN, input: [b.q, b.k, b.v, '', mask], output: b.output.output ?? [], attribute: coreAttributes(b) }]);
  }
  return finish(g, model, blocks.length);
}

interface QuantizedProjection {
  node: NodeProto;
  weight: TensorProto;
  scale: number;
  bias: Float32Array;
}

/** q, k and v as MatMulIntegerToFloat over one quantized input, with per-tensor scales and a bias. */
function quantizedProjections(g: GraphIndex, b: AttentionBlock): QuantizedProjection[] | string {
  const out: QuantizedProjection[] = [];
  for (const t of [b.q, b.k, b.v]) {
    const node = g.producer.get(t);
    if (node?.opType !== 'MatMulIntegerToFloat') return `${t} is not a MatMulIntegerToFloat (run it on a quantized graph)`;
    const [, w = '', , s = '', , zp = '', bias = ''] = node.input ?? [];
    const weight = g.constant(w);
    const scale = g.constant(s);
    const zero = g.constant(zp);
    const biasT = g.constant(bias);
    if (!weight || tensorDims(weight).length !== 2 || weight.dataType !== DataType.INT8) return 'projection weights are not 2-D int8 constants';
    if (!scale || !isScalar(scale) || (zero && constantValues(zero).some((v) => v !== 0)) || !biasT) return 'projections need a per-tensor scale, a zero weight zero point and a bias';
    out.push({ node, weight, scale: constantValues(scale)[0] ?? 1, bias: Float32Array.from(constantValues(biasT)) });
  }
  const first = out[0]?.node.input ?? [];
  if (out.some((p) => [0, 2, 4].some((i) => p.node.input?.[i] !== first[i]))) return 'q, k and v do not share one quantized input';
  return out;
}

/** Concatenates [rows, n_i] tensors along columns. */
function concatColumns(name: string, parts: TensorProto[]): TensorProto {
  const bytes = parts[0]?.dataType === DataType.INT8 ? 1 : 4;
  const rows = tensorDims(parts[0] as TensorProto)[0] as number;
  const cols = parts.map((p) => tensorDims(p)[1] as number);
  const total = cols.reduce((a, c) => a + c, 0);
  const data = new Uint8Array(rows * total * bytes);
  let offset = 0;
  parts.forEach((p, k) => {
    const src = new Uint8Array(p.rawData ?? new Uint8Array(0));
    const w = (cols[k] as number) * bytes;
    for (let r = 0; r < rows; r++) data.set(src.subarray(r * w, (r + 1) * w), (r * total + offset) * bytes);
    offset += cols[k] as number;
  });
  return { name, dims: [rows, total], dataType: parts[0]?.dataType ?? DataType.FLOAT, rawData: data };
}

/** The three projections' weights, per-column scales and biases as one [hidden, 3 x hidden] projection. */
function packProjections(g: GraphIndex, base: string, p: QuantizedProjection[]): { weight: string; scale: string; bias: string } {
  const cols = p.map((x) => tensorDims(x.weight)[1] as number);
  const scale = new Float32Array(cols.reduce((a, c) => a + c, 0));
  const bias = new Float32Array(scale.length);
  let at = 0;
  p.forEach((x, k) => {
    scale.fill(x.scale, at, at + (cols[k] as number));
    bias.set(x.bias, at);
    at += cols[k] as number;
  });
  return {
    weight: g.addInitializer(concatColumns(g.fresh(`${base}_qkv_weight`), p.map((x) => x.weight))),
    scale: g.addInitializer({ name: g.fresh(`${base}_qkv_scale`), dims: [scale.length], dataType: DataType.FLOAT, rawData: new Uint8Array(scale.buffer) }),
    bias: g.addInitializer({ name: g.fresh(`${base}_qkv_bias`), dims: [bias.length], dataType: DataType.FLOAT, rawData: new Uint8Array(bias.buffer) }),
  };
}

type PackedProjections = ReturnType<typeof packProjections>;

/**
 * The two rewrites that pack an attention block's int8 Q/K/V projections into one GEMM share this
 * walk: for each block whose projections are quantized, `build` gives the nodes that replace the
 * block and its three projections.
 */
function rewritePackedBlocks(model: ModelProto, build: (g: GraphIndex, b: AttentionBlock, p: QuantizedProjection[], packed: PackedProjections, mask: string) => NodeProto[]): RewriteOutcome {
  const g = new GraphIndex(model);
  const { blocks, reason } = findAttentionBlocks(g);
  if (blocks.length === 0) return unchanged(reason ?? 'no attention core');
  g.useMicrosoftDomain();
  const mask = maskInt32(g, model);
  let count = 0;
  let why: string | undefined;
  for (const b of blocks) {
    const p = quantizedProjections(g, b);
    if (typeof p === 'string') {
      why ??= p;
      continue;
    }
    const packed = packProjections(g, b.output.name ?? 'attention', p);
    replaceBlock(model, b, build(g, b, p, packed, mask), p.map((x) => x.node));
    count++;
  }
  return count === 0 ? unchanged(why ?? 'no quantized attention') : finish(g, model, count);
}

/** int8: the Q/K/V projections and the core as one com.microsoft QAttention (one packed int8 GEMM). */
export function qAttention(model: ModelProto): RewriteOutcome {
  return rewritePackedBlocks(model, (g, b, p, packed, mask) => {
    const base = b.output.name ?? 'attention';
    const [x = '', , xScale = '', , xZero = ''] = p[0]?.node.input ?? [];
    const zero = g.addInitializer({ name: g.fresh(`${base}_qkv_zero_point`), dims: [], dataType: DataType.INT8, rawData: new Uint8Array(1) });
    const attributes: AttributeProto[] = [attr.int('num_heads', b.numHeads)];
    if (b.maskFill !== ORT_DEFAULT_MASK_FILL) attributes.push(attr.float('mask_filter_value', b.maskFill));
    return [{ name: g.fresh(`${base}_QAttention`), opType: 'QAttention', domain: MS_DOMAIN, input: [x, packed.weight, packed.bias, xScale, packed.scale, mask, xZero, zero], output: b.output.output ?? [], attribute: attributes }];
  });
}

/** int8: one MatMulIntegerToFloat for Q, K and V together (N = 3 x hidden), a Split, then MultiHeadAttention. */
export function packedQkvAttention(model: ModelProto): RewriteOutcome {
  return rewritePackedBlocks(model, (g, b, p, packed, mask) => {
    const base = b.output.name ?? 'attention';
    const [x = '', , xScale = '', , xZero = '', wZero = ''] = p[0]?.node.input ?? [];
    const qkv = g.fresh(`${base}_qkv`);
    const sizes = p.map((y) => BigInt(tensorDims(y.weight)[1] as number));
    const split = g.addInitializer({ name: g.fresh(`${base}_qkv_split`), dims: [3], dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(sizes).buffer) });
    return [
      { name: g.fresh(`${base}_qkv_MatMulIntegerToFloat`), opType: 'MatMulIntegerToFloat', domain: MS_DOMAIN, input: [x, packed.weight, xScale, packed.scale, xZero, wZero, packed.bias], output: [qkv] },
      { name: g.fresh(`${base}_qkv_Split`), opType: 'Split', input: [qkv, split], output: [b.q, b.k, b.v], attribute: [attr.int('axis', -1)] },
      { name: g.fresh(`${base}_MultiHeadAttention`), opType: 'MultiHeadAttention', domain: MS_DOMAIN, input: [b.q, b.k, b.v, '', mask], output: b.output.output ?? [], attribute: coreAttributes(b) },
    ];
  });
}

/**
 * int8: the core's two activation x activation products (Q x K^T, probabilities x V) as
 * MatMulInteger over dynamically quantized operands, rescaled to float after.
 */
export function int8AttentionCore(model: ModelProto): RewriteOutcome {
  const g = new GraphIndex(model);
  const { blocks, reason } = findAttentionBlocks(g);
  if (blocks.length === 0) return unchanged(reason ?? 'no attention core');
  const added: NodeProto[] = [];
  const quantize = (t: string): [string, string, string] => {
    const out: [string, string, string] = [g.fresh(`${t}_quantized`), g.fresh(`${t}_scale`), g.fresh(`${t}_zero_point`)];
    added.push({ name: g.fresh(`${t}_DynamicQuantizeLinear`), opType: 'DynamicQuantizeLinear', input: [t], output: out });
    return out;
  };
  const replace = (node: NodeProto, extraScale: number): void => {
    const [a = '', b = ''] = node.input ?? [];
    const [aq, as, az] = quantize(a);
    const [bq, bs, bz] = quantize(b);
    const out = node.output?.[0] ?? '';
    const product = g.fresh(`${out}_int32`);
    const asFloat = g.fresh(`${out}_float`);
    const scale = g.fresh(`${out}_scale`);
    const scaled = g.fresh(`${out}_scale_alpha`);
    const alpha = g.addInitializer({ name: g.fresh(`${out}_alpha`), dims: [], dataType: DataType.FLOAT, rawData: new Uint8Array(Float32Array.of(extraScale).buffer) });
    added.push(
      { name: g.fresh(`${out}_MatMulInteger`), opType: 'MatMulInteger', input: [aq, bq, az, bz], output: [product] },
      { name: g.fresh(`${out}_Cast`), opType: 'Cast', input: [product], output: [asFloat], attribute: [attr.int('to', DataType.FLOAT)] },
      { name: g.fresh(`${out}_scale_Mul`), opType: 'Mul', input: [as, bs], output: [scale] },
      { name: g.fresh(`${out}_alpha_Mul`), opType: 'Mul', input: [scale, alpha], output: [scaled] },
      { name: g.fresh(`${out}_output_Mul`), opType: 'Mul', input: [asFloat, scaled], output: [out] },
    );
  };
  const gone = new Set<NodeProto>();
  for (const b of blocks) {
    replace(b.scores, b.scores.opType === 'FusedMatMul' ? b.scale : 1);
    replace(b.context, 1);
    gone.add(b.scores).add(b.context);
  }
  const graph = model.graph as NonNullable<ModelProto['graph']>;
  graph.node = [...(graph.node ?? []).filter((n) => !gone.has(n)), ...added];
  return finish(g, model, blocks.length);
}
