import ort from 'onnxruntime-node';
import { ModelLoadError } from '../errors.js';
import { rawScore } from './activation.js';
import { buildBatchTensors } from './batch-tensors.js';
import type { EncodedPair } from '../text/pair-encoder.js';

export interface SessionSettings {
  onnxPath: string;
  numLabels: number;
  relevantLabel: number;
  padId: number;
  /** ONNX Runtime intra-op threads; undefined lets ONNX Runtime use every core. */
  threads?: number | undefined;
}

/** One ONNX Runtime session of a cross-encoder; `run` blocks its thread for the whole inference. */
export class CrossEncoderSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly settings: SessionSettings,
    readonly hasTypeIds: boolean,
    private readonly outputName: string,
  ) {}

  static async create(settings: SessionSettings): Promise<CrossEncoderSession> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(settings.onnxPath, {
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        interOpNumThreads: 1,
        ...(settings.threads === undefined ? {} : { intraOpNumThreads: settings.threads }),
      });
    } catch (err) {
      throw new ModelLoadError(settings.onnxPath, `ONNX Runtime cannot load it (${(err as Error).message})`, 'Download the ONNX file again or pick another with --onnx-file.');
    }
    for (const input of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(input)) {
        throw new ModelLoadError(settings.onnxPath, `the graph has no ${input} input (inputs: ${session.inputNames.join(', ')})`, 'Export the model for text classification (optimum-cli export onnx --task text-classification).');
      }
    }
    const outputName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
    if (outputName === undefined) throw new ModelLoadError(settings.onnxPath, 'the graph has no outputs', 'Export the model again.');
    return new CrossEncoderSession(session, settings, session.inputNames.includes('token_type_ids'), outputName);
  }

  /** Raw scores (see activation.ts), one per pair, in the order given. */
  async run(pairs: readonly EncodedPair[]): Promise<Float32Array> {
    const t = buildBatchTensors(pairs, this.settings.padId);
    const dims = [t.batch, t.seqLen];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', t.inputIds, dims),
      attention_mask: new ort.Tensor('int64', t.attentionMask, dims),
    };
    if (this.hasTypeIds) feeds['token_type_ids'] = new ort.Tensor('int64', t.tokenTypeIds, dims);
    const out = await this.session.run(feeds);
    const logits = out[this.outputName];
    if (logits === undefined) throw new Error(`session returned no ${this.outputName}`);
    const data = logits.data as Float32Array;
    const { numLabels, relevantLabel } = this.settings;
    if (data.length !== t.batch * numLabels) {
      throw new Error(`model returned ${data.length} logits for ${t.batch} pairs; config.json says ${numLabels} labels`);
    }
    const scores = new Float32Array(t.batch);
    for (let i = 0; i < t.batch; i++) scores[i] = rawScore(data, i, numLabels, relevantLabel);
    return scores;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
