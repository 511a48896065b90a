import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { DataType, encodeModel, floatTensor, type ModelProto, type TensorProto, type ValueInfoProto } from '../src/graph/onnx-proto.js';
import { mulberry32 } from '../src/tools/forge/prng.js';
import type { Architecture } from './flops.js';

export interface GemmShape {
  m: number;
  k: number;
  n: number;
}

export type GemmPrecision = 'fp32' | 'int8';

/**
 * How the cores are used: one session with every core as an intra-op thread, one session per core
 * run at once (the service's pool shape), or one core alone (the per-core figure).
 */
export type GemmLayout = 'one core' | 'one session, all cores' | 'a session per core';

export interface GemmTrial {
  precision: GemmPrecision;
  shape: GemmShape;
  /** Why this shape: the model's projections or feed-forward at some row count, or a large square. */
  label: string;
  layout: GemmLayout;
  /** Best of the trials: other load only ever slows a trial down. */
  opsPerSecond: number;
}

export interface Ceiling {
  trials: GemmTrial[];
  /** The best trial over every shape and layout that uses all cores, per precision. */
  best: Record<GemmPrecision, GemmTrial>;
  /** The best one-core trial, per precision. */
  bestOneCore: Record<GemmPrecision, GemmTrial>;
}

function valueInfo(name: string, elemType: number, dims: number[]): ValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

/** fp32 MatMul or int8 MatMulInteger (uint8 activations x int8 weights, ONNX Runtime's fast u8s8 path) against a constant weight. */
function gemmModel(shape: GemmShape, precision: GemmPrecision): Uint8Array {
  const { m, k, n } = shape;
  const uniform = mulberry32(7);
  const int8 = precision === 'int8';
  let weight: TensorProto;
  if (int8) {
    const data = Int8Array.from({ length: k * n }, () => Math.floor(uniform() * 255) - 127);
    weight = { name: 'B', dims: [k, n], dataType: DataType.INT8, rawData: new Uint8Array(data.buffer) };
  } else {
    weight = floatTensor('B', [k, n], Float32Array.from({ length: k * n }, () => uniform() - 0.5));
  }
  const initializer: TensorProto[] = [weight];
  if (int8) {
    initializer.push({ name: 'A_zero', dims: [], dataType: DataType.UINT8, rawData: Uint8Array.of(128) });
    initializer.push({ name: 'B_zero', dims: [], dataType: DataType.INT8, rawData: Uint8Array.of(0) });
  }
  const model: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'gemm',
      node: [int8 ? { opType: 'MatMulInteger', input: ['A', 'B', 'A_zero', 'B_zero'], output: ['Y'] } : { opType: 'MatMul', input: ['A', 'B'], output: ['Y'] }],
      initializer,
      input: [valueInfo('A', int8 ? DataType.UINT8 : DataType.FLOAT, [m, k])],
      output: [valueInfo('Y', int8 ? DataType.INT32 : DataType.FLOAT, [m, n])],
    },
  };
  return encodeModel(model);
}

function input(shape: GemmShape, precision: GemmPrecision): ort.Tensor {
  const size = shape.m * shape.k;
  return precision === 'int8'
    ? new ort.Tensor('uint8', Uint8Array.from({ length: size }, (_, i) => (i * 37) % 256), [shape.m, shape.k])
    : new ort.Tensor('float32', Float32Array.from({ length: size }, (_, i) => ((i * 37) % 101) / 101 - 0.5), [shape.m, shape.k]);
}

/** Runs of one session per trial window: the timing loop, here and in each per-core worker. */
async function trialRates(bytes: Uint8Array, shape: GemmShape, precision: GemmPrecision, threads: number, seconds: number, trials: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', interOpNumThreads: 1, intraOpNumThreads: threads });
  try {
    const a = input(shape, precision);
    await session.run({ A: a });
    const rates: number[] = [];
    for (let t = 0; t < trials; t++) {
      let runs = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        await session.run({ A: a });
        runs++;
      }
      rates.push((2 * shape.m * shape.k * shape.n * runs) / ((performance.now() - started) / 1000));
    }
    return rates;
  } finally {
    await session.release();
  }
}

/*
 * onnxruntime-node runs a session on the calling thread, so sessions that run at once need threads
 * of their own: each per-core session lives in a worker thread (plain JavaScript, so the sweep
 * also runs from the TypeScript sources under vitest).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
(async () => {
  const { bytes, m, k, int8, seconds, trials } = workerData;
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', interOpNumThreads: 1, intraOpNumThreads: 1 });
  const a = int8 ? new ort.Tensor('uint8', Uint8Array.from({ length: m * k }, (_, i) => (i * 37) % 256), [m, k])
                 : new ort.Tensor('float32', Float32Array.from({ length: m * k }, (_, i) => ((i * 37) % 101) / 101 - 0.5), [m, k]);
  await session.run({ A: a });
  parentPort.postMessage('ready');
  const counts = [];
  for (let t = 0; t < trials; t++) {
    await new Promise((resolve) => parentPort.once('message', resolve));
    let runs = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) { await session.run({ A: a }); runs++; }
    counts.push(runs / ((performance.now() - started) / 1000));
    parentPort.postMessage('done');
  }
  await session.release();
  parentPort.postMessage(counts);
})();
`;

/** A session per core, each in its own thread, started together for every trial window. */
async function perCoreRates(bytes: Uint8Array, shape: GemmShape, precision: GemmPrecision, seconds: number, trials: number): Promise<number[]> {
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  const workers = Array.from({ length: availableParallelism() }, () => new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, bytes, m: shape.m, k: shape.k, int8: precision === 'int8', seconds, trials } }));
  // A Worker drops messages nobody listens to, so each one's replies are queued from the start.
  const inbox = workers.map((w) => {
    const queued: unknown[] = [];
    const waiting: Array<{ resolve: (m: unknown) => void; reject: (e: unknown) => void }> = [];
    w.on('message', (m) => (waiting.length > 0 ? waiting.shift()?.resolve(m) : queued.push(m)));
    w.on('error', (e) => waiting.splice(0).forEach((x) => x.reject(e)));
    return { queued, waiting };
  });
  const next = (w: Worker): Promise<unknown> => {
    const box = inbox[workers.indexOf(w)] as (typeof inbox)[number];
    return box.queued.length > 0 ? Promise.resolve(box.queued.shift()) : new Promise((resolve, reject) => box.waiting.push({ resolve, reject }));
  };
  try {
    await Promise.all(workers.map(next));
    for (let t = 0; t < trials; t++) {
      const done = workers.map(next);
      for (const w of workers) w.postMessage('go');
      await Promise.all(done);
    }
    const perWorker = (await Promise.all(workers.map(next))) as number[][];
    const flops = 2 * shape.m * shape.k * shape.n;
    return Array.from({ length: trials }, (_, t) => perWorker.reduce((sum, runsPerSecond) => sum + (runsPerSecond[t] ?? 0) * flops, 0));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Operations per second of one shape and layout, best of `trials` windows of `seconds` each. */
async function timeGemm(shape: GemmShape, precision: GemmPrecision, layout: GemmLayout, seconds: number, trials: number): Promise<number> {
  const bytes = gemmModel(shape, precision);
  const rates =
    layout === 'a session per core'
      ? await perCoreRates(bytes, shape, precision, seconds, trials)
      : await trialRates(bytes, shape, precision, layout === 'one session, all cores' ? availableParallelism() : 1, seconds, trials);
  // Other load only ever slows a window down: the fastest is the ceiling.
  return Math.max(...rates);
}

/** The model's own GEMM shapes at several batch sizes (rows = padded tokens per batch), and large squares. */
export function sweepShapes(arch: Architecture, quick: boolean): Array<{ shape: GemmShape; label: string }> {
  const rows = quick ? [768, 4096] : [256, 768, 2048, 4096];
  const { hidden: H, intermediate: I } = arch;
  const shapes = rows.flatMap((m) => [
    { shape: { m, k: H, n: H }, label: `projection ${H}->${H}, ${m} rows` },
    { shape: { m, k: H, n: I }, label: `feed-forward in ${H}->${I}, ${m} rows` },
    { shape: { m, k: I, n: H }, label: `feed-forward out ${I}->${H}, ${m} rows` },
  ]);
  for (const s of quick ? [2048] : [1024, 2048]) shapes.push({ shape: { m: s, k: s, n: s }, label: `square ${s}` });
  return shapes;
}

/**
 * The machine's measured ceiling: the best ONNX Runtime GEMM over the sweep's shapes and layouts,
 * fp32 and int8. A model's achieved rate is read against the all-core best of its precision; by
 * construction nothing the model does can beat its own GEMMs at their best shape and layout.
 */
export async function measureCeiling(arch: Architecture, opts: { quick: boolean; log?: (msg: string) => void }): Promise<Ceiling> {
  const seconds = opts.quick ? 0.2 : 0.25;
  const trials = opts.quick ? 3 : 4;
  const layouts: GemmLayout[] = availableParallelism() > 1 ? ['one core', 'one session, all cores', 'a session per core'] : ['one core'];
  const result: GemmTrial[] = [];
  for (const precision of ['fp32', 'int8'] as const) {
    for (const { shape, label } of sweepShapes(arch, opts.quick)) {
      for (const layout of layouts) {
        result.push({ precision, shape, label, layout, opsPerSecond: await timeGemm(shape, precision, layout, seconds, trials) });
      }
    }
    opts.log?.(`${precision} GEMM sweep done`);
  }
  return ceilingOf(result);
}

/** The better trial of each shape and layout from two sweeps, and the bests over them. */
export function mergeCeilings(a: Ceiling, b: Ceiling): Ceiling {
  const trials = a.trials.map((t) => {
    const other = b.trials.find((x) => x.precision === t.precision && x.label === t.label && x.layout === t.layout);
    return other !== undefined && other.opsPerSecond > t.opsPerSecond ? other : t;
  });
  return ceilingOf(trials);
}

/** The bests of a set of trials: all-core per precision (one core when that is all there is), and one core. */
export function ceilingOf(trials: GemmTrial[]): Ceiling {
  const allCores = trials.some((t) => t.layout !== 'one core');
  const bestOf = (precision: GemmPrecision, oneCore: boolean): GemmTrial => {
    const pool = trials.filter((t) => t.precision === precision && (t.layout === 'one core') === oneCore);
    if (pool.length === 0) throw new Error(`no ${precision} GEMM trial${oneCore ? ' on one core' : ''}`);
    return pool.reduce((x, y) => (y.opsPerSecond > x.opsPerSecond ? y : x));
  };
  return {
    trials,
    best: { fp32: bestOf('fp32', !allCores), int8: bestOf('int8', !allCores) },
    bestOneCore: { fp32: bestOf('fp32', true), int8: bestOf('int8', true) },
  };
}
