import { existsSync, readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { ModelLoadError, ModelOutputInvalidError } from '../errors.js';
import { rewrittenGraph } from '../graph/plan-graph.js';
import type { EncodedSequence } from '../text/sequence.js';
import { buildBatchTensors } from './batch-tensors.js';
import { asFloat32 } from './float16.js';
import { createHead, type Head, type HeadOutput, type HeadSettings } from './heads/index.js';

export interface SessionSettings {
  onnxPath: string;
  padId: number;
  head: HeadSettings;
  /** Names the model in errors and logs ("reranker", "embedder"). */
  label: string;
  /** ONNX Runtime intra-op threads; undefined lets ONNX Runtime use every core. */
  threads?: number | undefined;
  /**
   * Graph rewrites (graph/rewrites/) to apply to the file before ONNX Runtime loads it, each one
   * already checked to match it (planGraph); empty or undefined loads the file as it is.
   */
  rewrites?: readonly string[] | undefined;
  /** A copy of the file with `rewrites` already applied (planGraph writes it); loaded by path when it exists. */
  rewrittenPath?: string | undefined;
  /** The original file's folder when its weights are external data (GraphPlan.externalDataDir). */
  externalDataDir?: string | undefined;
}

export type { HeadSettings };
/** rows x width, row-major. */
export type SessionOutput = HeadOutput;

const FLOAT_TYPES = new Set(['float32', 'float16']);
/** Every input `run` feeds; token_type_ids and position_ids only when the graph declares them. */
const FED_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids', 'position_ids']);
/** A text-generation export's key/value cache: fed empty, since every sequence is read whole in one run. */
const PAST_INPUT = /^past_key_values\.\d+\.(key|value)$/;

/** An empty cache input: [batch, kv_heads, 0, head_dim] of the graph's element type. */
interface PastInput {
  name: string;
  type: 'float32' | 'float16';
  kvHeads: number;
  headDim: number;
}

function pastInputs(session: ort.InferenceSession, settings: SessionSettings): PastInput[] {
  const past: PastInput[] = [];
  for (const meta of session.inputMetadata) {
    if (!PAST_INPUT.test(meta.name)) continue;
    const shape = meta.isTensor ? meta.shape : [];
    const [, kvHeads, , headDim] = shape;
    const type = meta.isTensor ? meta.type : 'unknown';
    if (typeof kvHeads !== 'number' || typeof headDim !== 'number' || shape.length !== 4 || (type !== 'float32' && type !== 'float16')) {
      fail(settings, `its cache input ${meta.name} is ${type} [${shape.join(', ')}]; this service feeds float32 or float16 [batch, kv_heads, past, head_dim] with the heads and head size fixed`, 'Export the model with optimum-cli export onnx --task text-generation-with-past.');
    }
    past.push({ name: meta.name, type, kvHeads, headDim });
  }
  return past;
}

function fail(settings: SessionSettings, problem: string, fix: string): never {
  throw new ModelLoadError(settings.onnxPath, problem, fix);
}

function pickOutput(session: ort.InferenceSession, settings: SessionSettings, head: Head): ort.InferenceSession.TensorValueMetadata {
  const outputs = session.outputMetadata.filter((o): o is ort.InferenceSession.TensorValueMetadata => o.isTensor);
  const picked = head.chooseOutput(outputs);
  const chosen = outputs.find((o) => o.name === picked?.name);
  if (chosen === undefined) fail(settings, `the graph has none of the outputs ${head.outputNames.join(', ')} (outputs: ${session.outputNames.join(', ')})`, head.missingOutputFix);
  if (!FLOAT_TYPES.has(chosen.type)) {
    fail(settings, `its output ${chosen.name} is ${chosen.type}; only float32 and float16 outputs are supported`, 'Use the fp32 or fp16 ONNX file of the model (--onnx-file).');
  }
  return chosen;
}

/** One ONNX Runtime session of a model with its head; `run` blocks its thread for the whole inference. */
export class ModelSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly settings: SessionSettings,
    readonly hasTypeIds: boolean,
    private readonly hasPositionIds: boolean,
    private readonly past: readonly PastInput[],
    private readonly output: ort.InferenceSession.TensorValueMetadata,
    private readonly head: Head,
  ) {}

  static async create(settings: SessionSettings): Promise<ModelSession> {
    let session: ort.InferenceSession;
    try {
      const options: ort.InferenceSession.SessionOptions = {
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        // Every batch has its own shape, and a memory pattern is planned (and its block taken from
        // the arena) per shape: the soak's RSS grew 5x faster with it (issue 23, BENCHMARKS.md), at
        // the same request rate. The arena itself stays: without it RSS was higher and grew as fast.
        enableMemPattern: false,
        interOpNumThreads: 1,
        ...(settings.threads === undefined ? {} : { intraOpNumThreads: settings.threads }),
      };
      if (!settings.rewrites?.length) session = await ort.InferenceSession.create(settings.onnxPath, options);
      else if (settings.externalDataDir !== undefined) {
        // The rewritten graph holds no weights (they stay in the original folder's data files), so
        // its bytes are small; ONNX Runtime finds the data through the folder named here.
        const bytes = settings.rewrittenPath !== undefined && existsSync(settings.rewrittenPath) ? readFileSync(settings.rewrittenPath) : rewrittenGraph(settings.onnxPath, settings.rewrites);
        session = await ort.InferenceSession.create(bytes, { ...options, extra: { session: { model_external_initializers_file_folder_path: settings.externalDataDir } } });
      } else if (settings.rewrittenPath !== undefined && existsSync(settings.rewrittenPath)) session = await ort.InferenceSession.create(settings.rewrittenPath, options);
      else session = await ort.InferenceSession.create(rewrittenGraph(settings.onnxPath, settings.rewrites), options);
    } catch (err) {
      const message = (err as Error).message;
      const operator = unknownOperator(message);
      if (operator !== undefined) {
        fail(settings, `it uses the operator ${operator}, which this ONNX Runtime (onnxruntime-node ${ort.env.versions.common}, CPU) does not implement`, "Use an export made of standard ONNX operators (optimum-cli export onnx) or of ONNX Runtime's own contrib operators.");
      }
      fail(settings, `ONNX Runtime cannot load it (${message})`, 'Download the ONNX file again or pick another with --onnx-file.');
    }
    for (const input of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(input)) {
        await session.release();
        fail(settings, `the graph has no ${input} input (inputs: ${session.inputNames.join(', ')})`, 'Export the model with optimum-cli export onnx, which names its inputs input_ids and attention_mask.');
      }
    }
    // An input we never feed (position_ids, a past key cache) would fail every request; refuse the file now.
    const unfed = session.inputNames.filter((name) => !FED_INPUTS.has(name) && !PAST_INPUT.test(name));
    if (unfed.length > 0) {
      await session.release();
      fail(settings, `the graph needs inputs this service does not feed: ${unfed.join(', ')}`, 'Export the model with optimum-cli export onnx: encoder graphs take input_ids, attention_mask and token_type_ids; text-generation graphs also position_ids and past_key_values.*.');
    }
    const head = createHead(settings.head);
    let output: ort.InferenceSession.TensorValueMetadata;
    let past: PastInput[];
    try {
      output = pickOutput(session, settings, head);
      past = pastInputs(session, settings);
    } catch (err) {
      await session.release();
      throw err;
    }
    return new ModelSession(session, settings, session.inputNames.includes('token_type_ids'), session.inputNames.includes('position_ids'), past, output, head);
  }

  /** The output the head reads, and its element type (float32 or float16). */
  get outputInfo(): { name: string; type: string } {
    return { name: this.output.name, type: this.output.type };
  }

  /** One row per sequence, in the order given; throws ModelOutputInvalidError on NaN or infinity. */
  async run(sequences: readonly EncodedSequence[]): Promise<SessionOutput> {
    const t = buildBatchTensors(sequences, this.settings.padId);
    const dims = [t.batch, t.seqLen];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', t.inputIds, dims),
      attention_mask: new ort.Tensor('int64', t.attentionMask, dims),
    };
    if (this.hasTypeIds) feeds['token_type_ids'] = new ort.Tensor('int64', t.tokenTypeIds, dims);
    // Batches are right-padded, so every sequence's positions count from 0 at column 0.
    if (this.hasPositionIds) feeds['position_ids'] = new ort.Tensor('int64', positionIds(t.batch, t.seqLen), dims);
    for (const p of this.past) feeds[p.name] = new ort.Tensor(p.type, p.type === 'float32' ? new Float32Array(0) : new Uint16Array(0), [t.batch, p.kvHeads, 0, p.headDim]);
    const out = await this.session.run(feeds, [this.output.name]);
    const tensor = out[this.output.name];
    if (tensor === undefined) throw new Error(`session returned no ${this.output.name}`);
    const result = this.head.read(asFloat32(tensor.type, tensor.data), tensor.dims, sequences);
    checkFinite(result.data, this.settings.label);
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The operator ONNX Runtime says it has no schema or kernel for, from its load error. */
function unknownOperator(message: string): string | undefined {
  return /([\w.]*:\w+)\(-?\d+\) is not a registered function\/op/.exec(message)?.[1] ?? /Could not find an implementation for (\w+)\(\d+\)/.exec(message)?.[1];
}

function positionIds(batch: number, seqLen: number): BigInt64Array {
  const ids = new BigInt64Array(batch * seqLen);
  for (let row = 0; row < batch; row++) for (let i = 0; i < seqLen; i++) ids[row * seqLen + i] = BigInt(i);
  return ids;
}

/** A NaN or infinite value must never be cached or sent; the request fails instead. */
export function checkFinite(values: Float32Array, label: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ModelOutputInvalidError(`The ${label} model produced a non-finite value (${values[i]}); the request cannot be answered.`);
    }
  }
}
