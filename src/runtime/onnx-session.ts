import { existsSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { ModelLoadError, ModelOutputInvalidError } from '../errors.js';
import { rewrittenGraph } from '../tools/optimize/load-graph.js';
import type { EncodedSequence } from '../text/sequence.js';
import { rawScore } from './activation.js';
import { buildBatchTensors } from './batch-tensors.js';
import { asFloat32 } from './float16.js';
import { pool, normalizeRows, type PoolingSettings } from './pooling.js';

/** What turns the graph's output into one row per sequence. */
export type HeadSettings =
  /** A cross-encoder: one raw score per pair (see activation.ts). */
  | { kind: 'classifier'; numLabels: number; relevantLabel: number }
  /**
   * A bi-encoder: one vector per text, pooled over the token embeddings unless the graph pooled
   * already. `graphModules` names sentence-transformers modules (Dense…) that only the graph can
   * run: then the graph must output sentence_embedding.
   */
  | ({ kind: 'pooling'; graphModules: string[] } & PoolingSettings);

export interface SessionSettings {
  onnxPath: string;
  padId: number;
  head: HeadSettings;
  /** Names the model in errors and logs ("reranker", "embedder"). */
  label: string;
  /** ONNX Runtime intra-op threads; undefined lets ONNX Runtime use every core. */
  threads?: number | undefined;
  /**
   * Graph rewrites (tools/optimize) to apply to the file before ONNX Runtime loads it, each one
   * already checked to match it (planGraph); empty or undefined loads the file as it is.
   */
  rewrites?: readonly string[] | undefined;
  /** A copy of the file with `rewrites` already applied (planGraph writes it); loaded by path when it exists. */
  rewrittenPath?: string | undefined;
}

export interface SessionOutput {
  /** rows x width, row-major. */
  data: Float32Array;
  width: number;
}

/** Output names in the order they are preferred, per head. */
const POOLING_OUTPUTS = ['sentence_embedding', 'last_hidden_state', 'token_embeddings'];
const FLOAT_TYPES = new Set(['float32', 'float16']);
/** Every input `run` feeds; token_type_ids only when the graph declares it. */
const FED_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);

function fail(settings: SessionSettings, problem: string, fix: string): never {
  throw new ModelLoadError(settings.onnxPath, problem, fix);
}

function pickOutput(session: ort.InferenceSession, settings: SessionSettings): ort.InferenceSession.TensorValueMetadata {
  const outputs = session.outputMetadata.filter((o): o is ort.InferenceSession.TensorValueMetadata => o.isTensor);
  const head = settings.head;
  const names = head.kind === 'classifier' ? ['logits'] : head.graphModules.length > 0 ? ['sentence_embedding'] : POOLING_OUTPUTS;
  const chosen = names.map((n) => outputs.find((o) => o.name === n)).find((o) => o !== undefined) ?? (head.kind === 'classifier' ? outputs[0] : undefined);
  if (chosen === undefined) {
    const fix =
      head.kind === 'classifier'
        ? 'Export the model for text classification (optimum-cli export onnx --task text-classification).'
        : head.graphModules.length > 0
          ? `modules.json lists ${head.graphModules.join(', ')}, which only the graph can run: export the whole sentence-transformers pipeline so the graph outputs sentence_embedding.`
          : 'Export the model for feature extraction (optimum-cli export onnx --task feature-extraction), which outputs last_hidden_state.';
    fail(settings, `the graph has none of the outputs ${names.join(', ')} (outputs: ${session.outputNames.join(', ')})`, fix);
  }
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
    private readonly output: ort.InferenceSession.TensorValueMetadata,
  ) {}

  static async create(settings: SessionSettings): Promise<ModelSession> {
    let session: ort.InferenceSession;
    try {
      const options: ort.InferenceSession.SessionOptions = {
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        interOpNumThreads: 1,
        ...(settings.threads === undefined ? {} : { intraOpNumThreads: settings.threads }),
      };
      if (!settings.rewrites?.length) session = await ort.InferenceSession.create(settings.onnxPath, options);
      else if (settings.rewrittenPath !== undefined && existsSync(settings.rewrittenPath)) session = await ort.InferenceSession.create(settings.rewrittenPath, options);
      else session = await ort.InferenceSession.create(rewrittenGraph(settings.onnxPath, settings.rewrites), options);
    } catch (err) {
      fail(settings, `ONNX Runtime cannot load it (${(err as Error).message})`, 'Download the ONNX file again or pick another with --onnx-file.');
    }
    for (const input of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(input)) {
        await session.release();
        fail(settings, `the graph has no ${input} input (inputs: ${session.inputNames.join(', ')})`, 'Export the model with optimum-cli export onnx, which names its inputs input_ids and attention_mask.');
      }
    }
    // An input we never feed (position_ids, a past key cache) would fail every request; refuse the file now.
    const unfed = session.inputNames.filter((name) => !FED_INPUTS.has(name));
    if (unfed.length > 0) {
      await session.release();
      fail(settings, `the graph needs inputs this service does not feed: ${unfed.join(', ')}`, 'Export the model with optimum-cli export onnx, whose encoder graphs take only input_ids, attention_mask and token_type_ids.');
    }
    const output = pickOutput(session, settings);
    return new ModelSession(session, settings, session.inputNames.includes('token_type_ids'), output);
  }

  /** The output the head reads, and its element type (float32 or float16). */
  get outputInfo(): { name: string; type: string } {
    return { name: this.output.name, type: this.output.type };
  }

  /**
   * One row per sequence, in the order given; throws ModelOutputInvalidError on NaN or infinity.
   * `poisonForTest` replaces the first value with NaN, so tests reach that path with a real model.
   */
  async run(sequences: readonly EncodedSequence[], poisonForTest = false): Promise<SessionOutput> {
    const t = buildBatchTensors(sequences, this.settings.padId);
    const dims = [t.batch, t.seqLen];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', t.inputIds, dims),
      attention_mask: new ort.Tensor('int64', t.attentionMask, dims),
    };
    if (this.hasTypeIds) feeds['token_type_ids'] = new ort.Tensor('int64', t.tokenTypeIds, dims);
    const out = await this.session.run(feeds, [this.output.name]);
    const tensor = out[this.output.name];
    if (tensor === undefined) throw new Error(`session returned no ${this.output.name}`);
    const data = asFloat32(tensor.type, tensor.data);
    const result = this.settings.head.kind === 'classifier' ? this.scores(data, t.batch) : this.vectors(data, tensor.dims, sequences);
    if (poisonForTest) result.data[0] = NaN;
    checkFinite(result.data, this.settings.label);
    return result;
  }

  private scores(logits: Float32Array, batch: number): SessionOutput {
    const head = this.settings.head as Extract<HeadSettings, { kind: 'classifier' }>;
    if (logits.length !== batch * head.numLabels) {
      throw new Error(`model returned ${logits.length} logits for ${batch} pairs; config.json says ${head.numLabels} labels`);
    }
    const scores = new Float32Array(batch);
    for (let i = 0; i < batch; i++) scores[i] = rawScore(logits, i, head.numLabels, head.relevantLabel);
    return { data: scores, width: 1 };
  }

  private vectors(data: Float32Array, dims: readonly number[], sequences: readonly EncodedSequence[]): SessionOutput {
    const head = this.settings.head as Extract<HeadSettings, { kind: 'pooling' }>;
    if (dims.length === 2) {
      // sentence_embedding: the graph pooled already.
      const width = dims[1] as number;
      const copy = Float32Array.from(data);
      if (head.normalize) normalizeRows(copy, sequences.length, width);
      return { data: copy, width };
    }
    if (dims.length !== 3) throw new Error(`expected token embeddings [batch, tokens, dim], got dims [${dims.join(', ')}]`);
    const [batch, seqLen, dim] = dims as [number, number, number];
    const pooled = pool(data, batch, seqLen, dim, sequences.map((s) => s.ids.length), head);
    return { data: pooled, width: pooled.length / batch };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** A NaN or infinite value must never be cached or sent; the request fails instead. */
export function checkFinite(values: Float32Array, label: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ModelOutputInvalidError(`The ${label} model produced a non-finite value (${values[i]}); the request cannot be answered.`);
    }
  }
}
