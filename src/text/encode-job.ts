import { sliceTexts, textCount, type PackedTexts } from './packed-texts.js';
import type { TruncationOptions } from './pair-encoder.js';
import type { EncodedSequence } from './sequence.js';
import type { TextTruncation } from './text-encoder.js';
import type { TextTokenizer } from './tokenizer.js';

/**
 * What one request asks a model to read, before tokenization. The texts are packed (see
 * packed-texts.ts): a job waits on the main thread, and only the tokenizer threads make strings of it.
 */
export type EncodeJob =
  /** `instruction` reaches the templates that have one (decoder rerankers); cross-encoders ignore it. */
  | { kind: 'pairs'; query: string; documents: PackedTexts; truncation: TruncationOptions; instruction?: string | undefined }
  | { kind: 'texts'; texts: PackedTexts; truncation: TextTruncation };

export function jobSize(job: EncodeJob): number {
  return textCount(job.kind === 'pairs' ? job.documents : job.texts);
}

/** The part of a job from `start` to `end`, so one large job can be tokenized on several threads. */
export function sliceJob(job: EncodeJob, start: number, end: number): EncodeJob {
  return job.kind === 'pairs' ? { ...job, documents: sliceTexts(job.documents, start, end) } : { ...job, texts: sliceTexts(job.texts, start, end) };
}

/**
 * A model's template over its tokenizer: turns a job into the sequences the model reads. Each model
 * kind names one (text/encoders.ts); a job of the other shape is refused, since routes never send one.
 */
export interface SequenceEncoder {
  readonly tokenizer: TextTokenizer;
  encodeJob(job: EncodeJob): EncodedSequence[];
}
