/**
 * Weights become symmetric int8 with one scale per tensor. Symmetric (zero point 0) because
 * ONNX Runtime's x86 kernels multiply uint8 activations by int8 weights (u8s8) fastest, with
 * VNNI where the CPU has it, and a zero weight zero point lets MLAS skip the column-sum
 * correction. Per tensor rather than per column because the fused kernels ORT rewrites this
 * pattern into (MatMulIntegerToFloat, DynamicQuantizeMatMul) take one B scale only.
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
