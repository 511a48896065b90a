import type { Metrics } from '../metrics.js';
import { abortReason } from './abort-reason.js';
import { jobSize, type EncodeJob } from '../text/encode-job.js';
import type { EngineModel } from './engine-model.js';
import { unpackBatch } from './packed-batch.js';
import type { Scheduler } from './scheduler.js';
import type { TokenizerPool } from './tokenizer-pool.js';

export type { EngineModel };

/** Seconds spent per engine stage for one request. */
export interface EngineTimings {
  tokenize: number;
  queue_wait: number;
  inference: number;
}

export interface EngineResult {
  /** rows x width, row-major, in job order: one raw score per pair, or one vector per text. */
  output: Float32Array;
  width: number;
  /** Tokens the model read, special tokens included. */
  tokens: number;
  timings: EngineTimings;
}

/**
 * The seam between the pipelines and whatever runs the models: a job of texts in, one row per
 * text out. Implementations admit, tokenize, batch and schedule as they see fit; an aborted signal
 * drops the work.
 */
export interface InferenceEngine {
  /** The ids of the models it runs, in the order it was given them. */
  readonly models: readonly string[];
  run(model: string, job: EncodeJob, signal?: AbortSignal): Promise<EngineResult>;
  /** Character ranges of each text's chunks of at most maxTokens of the model's tokens (text/chunking.ts). */
  chunk(model: string, texts: string[], maxTokens: number, overlap: number, signal?: AbortSignal): Promise<[number, number][][]>;
  close(): Promise<void>;
}

export const EMPTY_RESULT: EngineResult = { output: new Float32Array(0), width: 0, tokens: 0, timings: { tokenize: 0, queue_wait: 0, inference: 0 } };

/**
 * The server's engine: admission once per request (a reservation), tokenization on the tokenizer
 * threads, then the scheduler's batches on the inference workers.
 */
export class PoolEngine implements InferenceEngine {
  readonly models: readonly string[];

  constructor(
    private readonly engineModels: readonly EngineModel[],
    private readonly tokenizers: TokenizerPool,
    private readonly scheduler: Scheduler,
    private readonly metrics: Metrics,
  ) {
    this.models = engineModels.map((m) => m.id);
  }

  private index(id: string): number {
    const model = this.models.indexOf(id);
    if (model === -1) throw new Error(`no model ${id} is loaded`);
    return model;
  }

  async run(id: string, job: EncodeJob, signal?: AbortSignal): Promise<EngineResult> {
    const model = this.index(id);
    if (jobSize(job) === 0) return EMPTY_RESULT;
    signal?.throwIfAborted();
    // Refused before tokenizing: an overloaded server must shed load cheaply.
    const reservation = this.scheduler.reserve(model, jobSize(job));
    const started = performance.now();
    let batch;
    try {
      batch = await this.tokenizers.encode(model, job, signal);
    } catch (err) {
      this.scheduler.release(reservation);
      if (signal?.aborted && err === signal.reason) this.metrics.rejections.inc({ reason: abortReason(err) });
      throw err;
    }
    const tokenize = (performance.now() - started) / 1000;
    this.metrics.stageDuration.observe({ stage: 'tokenize', model: (this.engineModels[model] as EngineModel).label }, tokenize);
    const result = await this.scheduler.submit(reservation, unpackBatch(batch), signal);
    return {
      output: result.output,
      width: result.width,
      tokens: batch.ids.length,
      timings: { tokenize, queue_wait: result.queueSeconds, inference: result.inferenceSeconds },
    };
  }

  chunk(id: string, texts: string[], maxTokens: number, overlap: number, signal?: AbortSignal): Promise<[number, number][][]> {
    return this.tokenizers.chunk(this.index(id), texts, maxTokens, overlap, signal);
  }

  private closing: Promise<void> | undefined;

  /** Lets queued work finish, then stops the threads; every caller waits for the same close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.scheduler.close();
      await this.tokenizers.close();
    })();
    return this.closing;
  }
}
