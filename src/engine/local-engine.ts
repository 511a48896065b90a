import type { Metrics } from '../metrics.js';
import { ModelSession } from '../runtime/onnx-session.js';
import { chunkRanges } from '../text/chunking.js';
import { jobSize, type EncodeJob, type SequenceEncoder } from '../text/encode-job.js';
import { createEncoder } from '../text/encoders.js';
import { planBatches } from './batch-plan.js';
import { EMPTY_RESULT, type EngineModel, type EngineResult, type InferenceEngine } from './engine.js';

interface Loaded {
  model: EngineModel;
  encoder: SequenceEncoder;
  session: ModelSession;
}

/**
 * Tokenizes and runs every model on the calling thread, one length-sorted batch at a time. It
 * blocks the event loop for the whole inference, so the server uses the pool engine; this one serves
 * tests as a reference, the benchmark's in-process contender and `--workers 0` for debugging.
 */
export class LocalEngine implements InferenceEngine {
  readonly models: readonly string[];

  private constructor(
    private readonly loaded: Loaded[],
    private readonly metrics: Metrics | undefined,
  ) {
    this.models = loaded.map((l) => l.model.id);
  }

  static async create(models: readonly EngineModel[], threads: number | undefined, metrics?: Metrics): Promise<LocalEngine> {
    const loaded: Loaded[] = [];
    try {
      for (const model of models) loaded.push({ model, encoder: createEncoder(model.encoder), session: await ModelSession.create({ ...model.session, threads }) });
    } catch (err) {
      await Promise.all(loaded.map((l) => l.session.release()));
      throw err;
    }
    return new LocalEngine(loaded, metrics);
  }

  private find(id: string): Loaded {
    const l = this.loaded.find((x) => x.model.id === id);
    if (l === undefined) throw new Error(`no model ${id} is loaded`);
    return l;
  }

  async run(id: string, job: EncodeJob, signal?: AbortSignal): Promise<EngineResult> {
    const l = this.find(id);
    if (jobSize(job) === 0) return EMPTY_RESULT;
    const t0 = performance.now();
    const sequences = l.encoder.encodeJob(job);
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
    this.metrics?.stageDuration.observe({ stage: 'inference', model: l.model.label }, inference);
    return { output: output ?? new Float32Array(0), width, tokens, timings: { tokenize, queue_wait: 0, inference } };
  }

  async chunk(id: string, texts: string[], maxTokens: number, overlap: number): Promise<[number, number][][]> {
    return chunkRanges(this.find(id).encoder.tokenizer, texts, maxTokens, overlap);
  }

  async close(): Promise<void> {
    await Promise.all(this.loaded.map((l) => l.session.release()));
  }
}
