import { GraphIndex, intsAttr, topologicalOrder } from '../graph-index.js';
import { readTensorBytes } from '../external-data.js';
import { DataType, floatTensor, int64Tensor, onnx, tensorDims, toNumber, type AttributeProto, type ModelProto, type NodeProto, type TensorProto } from '../onnx-proto.js';
import type { GraphPrecision } from '../precision.js';
import { unchanged, type GraphSource, type RewriteOutcome } from './rewrite.js';

/**
 * A decoder reranker reads two next-token logits at one position; a text-generation export's LM
 * head computes every vocabulary row at every position (seq x vocab x hidden multiply-adds per
 * sequence: for a 0.6B Qwen3 at 300 tokens, about as much as all 28 layers). This rewrite gathers
 * each sequence's last real token (batches are right-padded: attention_mask's sum - 1) from the
 * final hidden state and multiplies it with only the head's `rows` (argument "no,yes" ids), so
 * `logits` becomes [batch, rows]. Without rows it keeps the whole vocabulary at the last token.
 *
 * The head is the MatMul that writes `logits` with a weight that is an initializer [hidden, vocab]
 * (lm_head stored transposed) or the Transpose of one [vocab, hidden] (the embedding matrix, when
 * tie_word_embeddings). The rows are the same arithmetic on the same row of the hidden state, so
 * scores equal the full head's up to the GEMM's summation order.
 */
export function scoreHead(model: ModelProto, _precision: GraphPrecision, args?: string, source: GraphSource = {}): RewriteOutcome {
  const rows = args === undefined || args === '' ? undefined : args.split(',').map(Number);
  if (rows !== undefined && rows.some((r) => !Number.isInteger(r) || r < 0)) return unchanged(`rows ${args} are not token ids`);
  if (hasScoreHead(model)) return unchanged('already applied: the head reads the last token only');
  const g = new GraphIndex(model);
  const graph = model.graph as NonNullable<ModelProto['graph']>;
  const head = g.producer.get('logits');
  if (head === undefined || !g.outputs.has('logits')) return unchanged('the graph has no logits output');
  if (head.opType !== 'MatMul') return unchanged(`logits come from ${head.opType ?? 'an unknown node'}, not from a MatMul with the LM head's weight (a quantized or fused head)`);
  const [hidden, weightName] = head.input ?? [];
  if (hidden === undefined || weightName === undefined) return unchanged('the head MatMul has no inputs');
  if ((g.consumers.get(hidden) ?? []).length === 0) return unchanged('the final hidden state is not readable');

  // The head's weight, as [hidden, vocab] (plain) or the table a Transpose turns into it.
  let table = g.initializers.get(weightName);
  let transposed: NodeProto | undefined;
  if (table === undefined) {
    transposed = g.producer.get(weightName);
    const perm = transposed?.opType === 'Transpose' ? intsAttr(transposed, 'perm') : undefined;
    table = perm?.join() === '1,0' ? g.initializers.get(transposed?.input?.[0] ?? '') : undefined;
    if (table === undefined) return unchanged("the LM head's weight is neither an initializer nor the transpose of one");
  }
  if (table.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL && source.dir === undefined) return unchanged('the LM head is in external data and the model folder is not known');
  if (table.dataType !== DataType.FLOAT) return unchanged('the LM head is not float32');
  const dims = tensorDims(table);
  if (dims.length !== 2) return unchanged('the LM head is not a matrix');
  const [hiddenSize, vocab] = (transposed === undefined ? dims : [dims[1], dims[0]]) as [number, number];
  if (rows !== undefined && rows.some((r) => r >= vocab)) return unchanged(`rows ${args} are past the head's ${vocab} rows`);

  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  const node = (opType: string, inputs: string[], attrs: AttributeProto[] = []): string => {
    const out = g.fresh(`/score_head/${opType}_output`);
    graph.node = [...(graph.node ?? []), { name: g.fresh(`/score_head/${opType}`), opType, input: inputs, output: [out], attribute: attrs }];
    return out;
  };
  const int64 = (values: number[], scalar = false): string => g.addInitializer(int64Tensor(g.fresh('/score_head/const'), scalar ? [] : [values.length], values));
  const axes1 = int64([1]);
  const lengths = toNumber(opset) >= 13
    ? node('ReduceSum', ['attention_mask', axes1], [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }])
    : node('ReduceSum', ['attention_mask'], [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] }, { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]);
  const last = node('Sub', [lengths, int64([1], true)]);
  const shape = node('Shape', [hidden]);
  const axis0 = { name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 };
  const batch = node('Gather', [shape, int64([0], true)], [axis0]);
  const seq = node('Gather', [shape, int64([1], true)], [axis0]);
  const starts = node('Mul', [node('Range', [int64([0], true), batch, int64([1], true)]), seq]);
  const flat = node('Reshape', [hidden, int64([-1, hiddenSize])]);
  const lastHidden = node('Gather', [flat, node('Add', [starts, last])], [axis0]);

  let weight = weightName;
  if (rows !== undefined) {
    const picked = pickRows(table, rows, hiddenSize, vocab, transposed !== undefined, source.dir);
    weight = g.addInitializer(floatTensor(g.fresh('/score_head/rows'), [hiddenSize, rows.length], picked));
  }
  head.input = [lastHidden, weight];
  const output = (graph.output ?? []).find((o) => o.name === 'logits');
  const tensorType = output?.type?.tensorType;
  if (tensorType) tensorType.shape = { dim: [{ dimParam: 'batch_size' }, rows === undefined ? { dimValue: vocab } : { dimValue: rows.length }] };
  if (rows !== undefined && transposed !== undefined && (g.consumers.get(weightName) ?? []).length === 1) graph.node = (graph.node ?? []).filter((n) => n !== transposed);
  g.refresh();
  g.dropUnusedInitializers();
  topologicalOrder(model);
  return { applied: 1 };
}


/**
 * The head's `rows` as [hidden, rows]. A tied table [vocab, hidden] gives each row as one
 * contiguous read, so two rows of a 600 MB external table cost two small reads.
 */
function pickRows(table: TensorProto, rows: number[], hiddenSize: number, vocab: number, tied: boolean, dir: string | undefined): Float32Array {
  const picked = new Float32Array(hiddenSize * rows.length);
  if (tied) {
    rows.forEach((r, j) => {
      const row = new Float32Array(readTensorBytes(table, dir, r * hiddenSize * 4, hiddenSize * 4).buffer);
      for (let h = 0; h < hiddenSize; h++) picked[h * rows.length + j] = row[h] as number;
    });
    return picked;
  }
  const data = new Float32Array(readTensorBytes(table, dir, 0, hiddenSize * vocab * 4).buffer);
  for (let h = 0; h < hiddenSize; h++) rows.forEach((r, j) => { picked[h * rows.length + j] = data[h * vocab + r] as number; });
  return picked;
}

/** Whether a graph already had the rewrite (its head reads the gathered last token). */
export function hasScoreHead(model: ModelProto): boolean {
  return (model.graph?.node ?? []).some((n) => (n.name ?? '').startsWith('/score_head/'));
}
