/**
 * Weights become symmetric int8 with one scale per tensor. Symmetric (zero point 0) because
 * ONNX Runtime's x86 kernels multiply uint8 activations by int8 weights (u8s8) fastest, with
 * VNNI where the CPU has it, and a zero weight zero point lets MLAS skip the column-sum
 * correction. One scale per tensor by default; quantizePerColumnInt8 below gives each column
 * its own, which ONNX Runtime 1.30 fuses into MatMulIntegerToFloat / DynamicQuantizeMatMul just
 * the same (checked in the optimized graph).
 */
export interface Int8Weight {
  data: Int8Array;
  scale: number;
}

/** -127..127, not -128: a symmetric range keeps w and -w the same distance from zero. */
export const INT8_LIMIT = 127;

export function quantizeSymmetricInt8(weights: Float32Array): Int8Weight {
  let maxAbs = 0;
  for (let i = 0; i < weights.length; i++) maxAbs = Math.max(maxAbs, Math.abs(weights[i] as number));
  // An all-zero tensor quantizes to zeros under any scale; 1 keeps the Mul finite.
  const scale = maxAbs === 0 ? 1 : maxAbs / INT8_LIMIT;
  const data = new Int8Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const q = Math.round((weights[i] as number) / scale);
    data[i] = Math.max(-INT8_LIMIT, Math.min(INT8_LIMIT, q));
  }
  return { data, scale: Math.fround(scale) };
}

export interface Int8WeightPerColumn {
  data: Int8Array;
  /** One scale per output column. */
  scales: Float32Array;
}

/**
 * Symmetric int8 with one scale per output column of a [rows, cols] weight: a column of small
 * weights keeps its resolution instead of sharing the range of the largest one. ONNX Runtime's
 * fused kernels take a per-column B scale too (MatMulIntegerToFloat, DynamicQuantizeMatMul).
 */
export function quantizePerColumnInt8(weights: Float32Array, rows: number, cols: number): Int8WeightPerColumn {
  const maxAbs = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) maxAbs[c] = Math.max(maxAbs[c] as number, Math.abs(weights[r * cols + c] as number));
  }
  const scales = Float32Array.from(maxAbs, (m) => (m === 0 ? 1 : m / INT8_LIMIT));
  const data = new Int8Array(weights.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const q = Math.round((weights[r * cols + c] as number) / (scales[c] as number));
      data[r * cols + c] = Math.max(-INT8_LIMIT, Math.min(INT8_LIMIT, q));
    }
  }
  return { data, scales };
}
