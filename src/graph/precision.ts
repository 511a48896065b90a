import type { ModelProto } from './onnx-proto.js';

/**
 * What the graph's matrix products compute in: 'int8' when any of them runs on integers (dynamic
 * or static quantization, ONNX Runtime's fused quantized kernels), else 'fp32' (float16 files
 * included: ONNX Runtime's CPU kernels widen them). Batch budgets follow it, because the int8
 * kernels cost less per token, so a batch's fixed cost weighs more there.
 */
export type GraphPrecision = 'fp32' | 'int8';

/** Operators whose presence makes a graph's GEMMs integer ones. */
export const INT8_OPS: ReadonlySet<string> = new Set([
  'MatMulInteger',
  'ConvInteger',
  'DynamicQuantizeLinear',
  'QuantizeLinear',
  'DequantizeLinear',
  'QLinearMatMul',
  'QLinearConv',
  // com.microsoft fused forms, in files ONNX Runtime optimized offline or tools wrote directly.
  'MatMulIntegerToFloat',
  'DynamicQuantizeMatMul',
  'QAttention',
  'QGemm',
  'QEmbedLayerNormalization',
  'MatMulNBits',
]);

export function graphPrecision(model: ModelProto): GraphPrecision {
  for (const node of model.graph?.node ?? []) if (INT8_OPS.has(node.opType ?? '')) return 'int8';
  return 'fp32';
}
