/**
 * IEEE 754 half-precision bits to float32. onnxruntime-node hands float16 outputs over as a
 * Uint16Array of raw bits on runtimes without Float16Array (Node 20), so reading them as numbers
 * would give integers in the tens of thousands instead of values near zero.
 */
export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfToFloat(bits[i] as number);
  return out;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // subnormal (and zero)
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Output data of a float32 or float16 tensor as float32, whatever typed array the runtime used. */
export function asFloat32(type: string, data: unknown): Float32Array {
  if (type === 'float32' && data instanceof Float32Array) return data;
  if (type === 'float16') {
    if (data instanceof Uint16Array) return float16BitsToFloat32(data);
    // Runtimes with Float16Array (Node 24 with the flag, later by default) may hand that over instead.
    if (ArrayBuffer.isView(data)) return Float32Array.from(data as unknown as ArrayLike<number>);
  }
  throw new Error(`expected a float32 or float16 output, got ${type}`);
}
