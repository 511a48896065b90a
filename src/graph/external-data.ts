import { closeSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { encodeModel, onnx, type ModelProto, type TensorProto } from './onnx-proto.js';

/**
 * ONNX external data: tensors whose bytes live in a file beside the model, as every export over
 * protobuf's 2 GB ships them (onnx-community's Qwen3-Reranker-0.6B: model.onnx + model.onnx_data).
 * ONNX Runtime reads them by a location relative to the model's folder and refuses any location
 * that leaves it (an absolute path, a symlink out of the folder), so a rewritten copy of such a
 * graph is loaded from bytes with the original folder named as where its data lives.
 */
export interface ExternalRef {
  location: string;
  offset: number;
  length: number | undefined;
}

export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
}

export function externalRef(t: TensorProto): ExternalRef | undefined {
  if (!isExternal(t)) return undefined;
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (location === undefined || location === '') return undefined;
  const length = entries.get('length');
  return { location, offset: Number(entries.get('offset') ?? 0), length: length === undefined ? undefined : Number(length) };
}

export function hasExternalData(model: ModelProto): boolean {
  return (model.graph?.initializer ?? []).some(isExternal);
}

/** The data file of `ref` inside `modelDir`; a location that leaves the folder is refused, as ONNX Runtime refuses it. */
function dataFile(modelDir: string, ref: ExternalRef, tensor: string): string {
  const file = path.resolve(modelDir, ref.location);
  if (path.isAbsolute(ref.location) || !file.startsWith(path.resolve(modelDir) + path.sep)) {
    throw new Error(`tensor ${tensor} points outside its model folder (${ref.location})`);
  }
  return file;
}

/**
 * Bytes [start, start + length) of a tensor's data, inline or from its external file; reading a
 * range lets a rewrite take two rows of a 600 MB embedding table without reading the table.
 */
export function readTensorBytes(t: TensorProto, modelDir: string | undefined, start = 0, length?: number): Uint8Array {
  const ref = externalRef(t);
  if (ref === undefined) {
    const raw = (t.rawData?.byteLength ?? 0) > 0 ? (t.rawData as Uint8Array) : new Uint8Array(Float32Array.from(t.floatData ?? []).buffer);
    return new Uint8Array(raw.subarray(start, length === undefined ? undefined : start + length));
  }
  if (modelDir === undefined) throw new Error(`tensor ${t.name ?? ''} is in external data and its model folder is not known`);
  const size = (ref.length ?? 0) - start;
  const want = length ?? size;
  const out = new Uint8Array(want);
  const fd = openSync(dataFile(modelDir, ref, t.name ?? ''), 'r');
  try {
    let done = 0;
    while (done < want) {
      const n = readSync(fd, out, done, want - done, ref.offset + start + done);
      if (n === 0) throw new Error(`external data of ${t.name ?? ''} ends early in ${ref.location}`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Moves every external tensor's bytes into the model (tools that rewrite all weights, as int8 quantization does). */
export function inlineExternalData(model: ModelProto, modelDir: string): void {
  for (const t of model.graph?.initializer ?? []) {
    if (!isExternal(t)) continue;
    t.rawData = readTensorBytes(t, modelDir);
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    t.externalData = [];
  }
}

/** Protobuf's limit is 2 GiB; ONNX's own tools move weights out well before it. */
const INLINE_LIMIT = 1.8e9;
/** Tensors smaller than this stay in the graph (onnx's save_model default threshold is 1 KiB). */
const EXTERNAL_MIN_BYTES = 1024;
/** Offsets aligned so ONNX Runtime can map each tensor from the file directly. */
const ALIGN = 4096;

/**
 * Encodes `model` for `onnxPath`: inline when its weights fit one protobuf, otherwise with every
 * tensor of 1 KiB or more moved to `<file name>_data` beside it (the name onnx and optimum write;
 * `dataFile` names it for a file written under a temporary name).
 * Returns the encoded graph and the data file's name when one was written.
 */
export function encodeWithExternalData(model: ModelProto, onnxPath: string, opts: { inlineLimit?: number; dataFile?: string } = {}): { graph: Uint8Array; dataFile?: string } {
  const tensors = model.graph?.initializer ?? [];
  const total = tensors.reduce((sum, t) => sum + (t.rawData?.byteLength ?? 0), 0);
  if (total <= (opts.inlineLimit ?? INLINE_LIMIT)) return { graph: encodeModel(model) };
  const location = opts.dataFile ?? `${path.basename(onnxPath)}_data`;
  const fd = openSync(path.join(path.dirname(onnxPath), location), 'w');
  try {
    let offset = 0;
    for (const t of tensors) {
      const raw = t.rawData;
      if (raw === null || raw === undefined || raw.byteLength < EXTERNAL_MIN_BYTES) continue;
      offset = Math.ceil(offset / ALIGN) * ALIGN;
      let done = 0;
      while (done < raw.byteLength) done += writeSync(fd, raw, done, raw.byteLength - done, offset + done);
      t.externalData = [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(raw.byteLength) }];
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      t.rawData = null;
      offset += raw.byteLength;
    }
  } finally {
    closeSync(fd);
  }
  return { graph: encodeModel(model), dataFile: location };
}

/**
 * The bytes a model file stands for: the graph and the data files beside it named as exporters name
 * them (`model.onnx_data`, `model.onnx_data_1`...), without decoding the graph.
 */
export function modelFileBytes(onnxPath: string): number {
  const dir = path.dirname(onnxPath);
  const prefix = `${path.basename(onnxPath)}_data`;
  const beside = readdirSync(dir).filter((f) => f.startsWith(prefix) && /^(_\d+)?$/.test(f.slice(prefix.length)));
  return beside.reduce((sum, f) => sum + statSync(path.join(dir, f)).size, statSync(onnxPath).size);
}
