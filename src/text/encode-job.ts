import type { TruncationOptions } from './pair-encoder.js';
import type { EncodedSequence } from './sequence.js';
import type { TextTruncation } from './text-encoder.js';
import type { TextTokenizer } from './tokenizer.js';

/** What one request asks a model to read, before tokenization. */
export type EncodeJob =
  | { kind: 'pairs'; query: string; documents: readonly string[]; truncation: TruncationOptions }
  | { kind: 'texts'; texts: readonly string[]; truncation: TextTruncation };

export function jobSize(job: EncodeJob): number {
  return job.kind === 'pairs' ? job.documents.length : job.texts.length;
}

/** The part of a job from `start` to `end`, so one large job can be tokenized on several threads. */
export function sliceJob(job: EncodeJob, start: number, end: number): EncodeJob {
  return job.kind === 'pairs' ? { ...job, documents: job.documents.slice(start, end) } : { ...job, texts: job.texts.slice(start, end) };
}

/**
 * A model's template over its tokenizer: turns a job into the sequences the model reads. Each model
 * kind names one (text/encoders.ts); a job of the other shape is refused, since routes never send one.
 */
export interface SequenceEncoder {
  readonly tokenizer: TextTokenizer;
  encodeJob(job: EncodeJob): EncodedSequence[];
}
