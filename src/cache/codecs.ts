import type { ValueCodec } from './cache-tier.js';

/** A raw score as its float32 bytes: the model computed it in float32, so nothing is lost. */
export const scoreCodec: ValueCodec<number> = {
  kind: 'score',
  encode(value) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    return b;
  },
  decode(bytes) {
    if (bytes.length !== 4) return undefined;
    const value = bytes.readFloatLE(0);
    return Number.isFinite(value) ? value : undefined;
  },
  bytes: () => 8,
};

/** An embedding as little-endian float32 bytes, checked for its width and for finite values on the way back. */
export function vectorCodec(dimensions: number): ValueCodec<Float32Array> {
  return {
    kind: 'vector',
    encode(value) {
      const b = Buffer.alloc(value.length * 4);
      for (let i = 0; i < value.length; i++) b.writeFloatLE(value[i] as number, i * 4);
      return b;
    },
    decode(bytes) {
      if (bytes.length !== dimensions * 4) return undefined;
      const v = new Float32Array(dimensions);
      for (let i = 0; i < dimensions; i++) {
        const x = bytes.readFloatLE(i * 4);
        if (!Number.isFinite(x)) return undefined;
        v[i] = x;
      }
      return v;
    },
    bytes: (value) => value.length * 4 + 64,
  };
}
