import ort from 'onnxruntime-node';
import { DataType, encodeModel, floatTensor, type ModelProto, type TensorProto, type ValueInfoProto } from '../src/tools/forge/onnx-proto.js';
import { mulberry32 } from '../src/tools/forge/prng.js';

export interface GemmShape {
  m: number;
  k: number;
  n: number;
}

/**
 * MiniLM's FFN-in GEMM (384 -> 1536), the shape that dominates, over 2048 rows: about one service
 * batch (32 pairs of ~64 tokens). At 512 rows per-run overheads still show and the "peak" lands
 * below what the model itself reaches.
 */
export const DEFAULT_GEMM: GemmShape = { m: 2048, k: 384, n: 1536 };
const TRIALS = 5;

export interface GemmPeak {
  fp32GflopsPerSecond: number;
  int8GopsPerSecond: number;
}

function valueInfo(name: string, elemType: number, dims: number[]): ValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

function gemmModel(shape: GemmShape, int8: boolean): ModelProto {
  const { m, k, n } = shape;
  const uniform = mulberry32(7);
  let weight: TensorProto;
  if (int8) {
    const data = Int8Array.from({ length: k * n }, () => Math.floor(uniform() * 255) - 127);
    weight = { name: 'B', dims: [k, n], dataType: DataType.INT8, rawData: new Uint8Array(data.buffer) };
  } else {
    weight = floatTensor('B', [k, n], Float32Array.from({ length: k * n }, () => uniform() - 0.5));
  }
  const initializer: TensorProto[] = [weight];
  const node = int8
    ? { opType: 'MatMulInteger', input: ['A', 'B', 'A_zero', 'B_zero'], output: ['Y'] }
    : { opType: 'MatMul', input: ['A', 'B'], output: ['Y'] };
  if (int8) {
    initializer.push({ name: 'A_zero', dims: [], dataType: DataType.UINT8, rawData: Uint8Array.of(128) });
    initializer.push({ name: 'B_zero', dims: [], dataType: DataType.INT8, rawData: Uint8Array.of(0) });
  }
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'gemm',
      node: [node],
      initializer,
      input: [valueInfo('A', int8 ? DataType.UINT8 : DataType.FLOAT, [m, k])],
      output: [valueInfo('Y', int8 ? DataType.INT32 : DataType.FLOAT, [m, n])],
    },
  };
}

async function timeGemm(shape: GemmShape, int8: boolean, seconds: number): Promise<number> {
  const session = await ort.InferenceSession.create(encodeModel(gemmModel(shape, int8)), { graphOptimizationLevel: 'all', interOpNumThreads: 1 });
  try {
    const size = shape.m * shape.k;
    const a = int8
      ? new ort.Tensor('uint8', Uint8Array.from({ length: size }, (_, i) => (i * 37) % 256), [shape.m, shape.k])
      : new ort.Tensor('float32', Float32Array.from({ length: size }, (_, i) => ((i * 37) % 101) / 101 - 0.5), [shape.m, shape.k]);
    for (let i = 0; i < 3; i++) await session.run({ A: a });
    // Best of several short trials: other load only ever slows a trial, so the fastest is the ceiling.
    let best = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      let runs = 0;
      const started = performance.now();
      while (performance.now() - started < (seconds * 1000) / TRIALS) {
        await session.run({ A: a });
        runs++;
      }
      const elapsed = (performance.now() - started) / 1000;
      best = Math.max(best, (2 * shape.m * shape.k * shape.n * runs) / elapsed / 1e9);
    }
    return best;
  } finally {
    await session.release();
  }
}

/** ONNX Runtime's own GEMM speed on this machine: the ceiling the model's achieved GFLOP/s is read against. */
export async function measureGemmPeak(seconds: number, shape: GemmShape = DEFAULT_GEMM): Promise<GemmPeak> {
  return { fp32GflopsPerSecond: await timeGemm(shape, false, seconds), int8GopsPerSecond: await timeGemm(shape, true, seconds) };
}
