import type { Metrics } from '../metrics.js';
import { ModelSession } from '../runtime/onnx-session.js';
import { PairEncoder } from '../text/pair-encoder.js';
import { TextEncoder } from '../text/text-encoder.js';
import { chunkText } from '../text/chunking.js';
import { TextTokenizer } from '../text/tokenizer.js';
import { planBatches } from './batch-plan.js';
import { EMPTY_RESULT, type EngineModel, type EngineResult, type InferenceEngine } from './engine.js';
import { encodeJob, jobSize, type EncodeJob } from './encode-job.js';
import type { ModelRole } from './model-role.js';

interface Loaded {
  model: EngineModel;
  encoder: PairEncoder | TextEncoder;
  session: ModelSession;
}

/**
 * Tokenizes and runs every model on the calling thread, one length-sorted batch at a time. It
 * blocks the event loop for the whole inference, so the server uses the pool engine; this one serves
 * tests as a reference, the benchmark's in-process contender and `--workers 0` for debugging.
 */
export class LocalEngine implements InferenceEngine {
  readonly roles: readonly ModelRole[];

  private constructor(
    private readonly loaded: Loaded[],
    private readonly metrics: Metrics | undefined,
  ) {
    this.roles = loaded.map((l) => l.model.role);
  }

  static async create(models: readonly EngineModel[], threads: number | undefined, metrics?: Metrics): Promise<LocalEngine> {
    const loaded: Loaded[] = [];
    try {
      for (const model of models) {
        const tokenizer = new TextTokenizer(model.tokenizer.files);
        const encoder = model.tokenizer.kind === 'pairs' ? new PairEncoder(tokenizer, model.tokenizer.maxLength) : new TextEncoder(tokenizer, model.tokenizer.maxLength, model.tokenizer.lowercase);
        loaded.push({ model, encoder, session: await ModelSession.create({ ...model.session, threads }) });
      }
    } catch (err) {
      await Promise.all(loaded.map((l) => l.session.release()));
      throw err;
    }
    return new LocalEngine(loaded, metrics);
  }

  async run(role: ModelRole, job: EncodeJob, signal?: AbortSignal): Promise<EngineResult> {
    const l = this.loaded.find((x) => x.model.role === role);
    if (l === undefined) throw new Error(`no ${role} model is loaded`);
    if (jobSize(job) === 0) return EMPTY_RESULT;
    const t0 = performance.now();
    const sequences = encodeJob(l.encoder, job);
    const tokenize = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    let output: Float32Array | undefined;
    let width = 0;
    let tokens = 0;
    for (const s of sequences) tokens += s.ids.length;
    for (const batch of planBatches(sequences.map((s) => s.ids.length), l.model.limits)) {
      signal?.throwIfAborted();
      const out = await l.session.run(batch.map((i) => sequences[i] as (typeof sequences)[number]));
      width = out.width;
      output ??= new Float32Array(sequences.length * width);
      batch.forEach((index, row) => (output as Float32Array).set(out.data.subarray(row * width, (row + 1) * width), index * width));
    }
    const inference = (performance.now() - t1) / 1000;
    this.metrics?.stageDuration.observe({ stage: 'inference', model: role }, inference);
    return { output: output ?? new Float32Array(0), width, tokens, timings: { tokenize, queue_wait: 0, inference } };
  }

  async chunk(role: ModelRole, texts: string[], maxTokens: number, overlap: number): Promise<[number, number][][]> {
    const l = this.loaded.find((x) => x.model.role === role);
    if (l === undefined) throw new Error(`no ${role} model is loaded`);
    const count = (s: string): number => l.encoder.tokenizer.encode(s).length;
    return texts.map((t) => (count(t) <= maxTokens ? [[0, t.length]] : chunkText(t, count, maxTokens, overlap).map((c): [number, number] => [c.start, c.end])));
  }

  async close(): Promise<void> {
    await Promise.all(this.loaded.map((l) => l.session.release()));
  }
}
