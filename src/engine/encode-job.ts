import { PairEncoder, type TruncationOptions } from '../text/pair-encoder.js';
import type { EncodedSequence } from '../text/sequence.js';
import type { TextEncoder, TextTruncation } from '../text/text-encoder.js';

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

/** Tokenizes a job: for pairs the query once, then each document against it. */
export function encodeJob(encoder: PairEncoder | TextEncoder, job: EncodeJob): EncodedSequence[] {
  if (job.kind === 'pairs') {
    if (!(encoder instanceof PairEncoder)) throw new Error('a pairs job needs a cross-encoder');
    const queryIds = encoder.encodeQuery(job.query, job.truncation);
    return job.documents.map((d) => encoder.encodePair(queryIds, d, job.truncation));
  }
  if (encoder instanceof PairEncoder) throw new Error('a texts job needs an embedding model');
  return job.texts.map((t) => encoder.encode(t, job.truncation));
}
