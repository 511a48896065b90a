/**
 * ESM access to the protobufjs-generated ONNX classes plus tensor conversion
 * helpers. onnx-proto is CommonJS, so the namespace hangs off the default export.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.IModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

export const DataType = onnx.TensorProto.DataType;

// ONNX raw_data is little-endian; typed arrays use host order, which is
// little-endian on every platform onnxruntime-node ships for.
function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

export function floatTensor(name: string, dims: number[], data: Float32Array): TensorProto {
  return { name, dims, dataType: DataType.FLOAT, rawData: bytesOf(data) };
}

export function int64Tensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const data = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  return { name, dims, dataType: DataType.INT64, rawData: bytesOf(data) };
}

/** protobufjs hands int64 fields back as numbers or Long objects depending on size. */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d));
}

/** Copies a float initializer out of a decoded model (raw_data or float_data). */
export function readFloatTensor(t: TensorProto): Float32Array {
  if (t.dataType !== DataType.FLOAT) throw new Error(`initializer ${t.name} is not float32`);
  const raw = t.rawData;
  if (raw && raw.byteLength > 0) {
    // Copy first: decoded bytes may sit at an offset that is not 4-byte aligned.
    const copy = new Uint8Array(raw);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
