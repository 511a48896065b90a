import { LimitExceededError } from '../errors.js';
import { textAt, textCount } from './packed-texts.js';
import { encodeBounded } from './precut.js';
import type { EncodeJob, SequenceEncoder } from './encode-job.js';
import type { EncodedSequence } from './sequence.js';
import { applyTemplate } from './template.js';
import type { TextTokenizer } from './tokenizer.js';
import { cut, longestFirstLengths, type TruncationDirection } from './truncation.js';

/** One (query, document) pair as the cross-encoder reads it. */
export type EncodedPair = EncodedSequence;

export interface TruncationOptions {
  direction: TruncationDirection;
  /** When false a text over the limit is an error instead of being cut. */
  truncate: boolean;
  /** Cuts the document alone to this many tokens before the pair rule runs. */
  maxTokensPerDoc?: number | undefined;
}

export class PairEncoder implements SequenceEncoder {
  /** Tokens left for query and document once the template's special tokens are placed. */
  readonly budget: number;
  /**
   * Tokens of one text beyond which its truncated pair no longer depends on its length (see
   * longestFirstLengths: every comparison it makes is settled once a text reaches the max length).
   */
  private readonly enough: number;

  constructor(
    readonly tokenizer: TextTokenizer,
    readonly maxLength: number,
  ) {
    this.budget = maxLength - tokenizer.templates.pair.specialCount;
    if (this.budget < 2) throw new Error(`max length ${maxLength} leaves no room for a pair`);
    this.enough = maxLength + 1;
  }

  /** The query once, then each document against it. */
  encodeJob(job: EncodeJob): EncodedSequence[] {
    if (job.kind !== 'pairs') throw new Error('a texts job needs an embedding model');
    const queryIds = this.encodeQuery(job.query, job.truncation);
    return Array.from({ length: textCount(job.documents) }, (_, i) => this.encodePair(queryIds, textAt(job.documents, i), job.truncation));
  }

  encodeQuery(query: string, opts: Pick<TruncationOptions, 'direction' | 'truncate'> = { direction: 'right', truncate: true }): number[] {
    return encodeBounded(query, opts.truncate ? this.enough : Infinity, opts.direction, (t) => this.tokenizer.encode(t));
  }

  encodePair(queryIds: number[], document: string, opts: TruncationOptions): EncodedPair {
    // With truncation off the error reports the whole length, so the text is read whole.
    const need = opts.truncate ? Math.min(this.enough, opts.maxTokensPerDoc ?? Infinity) : Infinity;
    let docIds = encodeBounded(document, need, opts.direction, (t) => this.tokenizer.encode(t));
    if (opts.maxTokensPerDoc !== undefined) docIds = cut(docIds, opts.maxTokensPerDoc, opts.direction);
    const [keepQuery, keepDoc] = longestFirstLengths(queryIds.length, docIds.length, this.budget, this.maxLength);
    if (!opts.truncate && (keepQuery < queryIds.length || keepDoc < docIds.length)) {
      const total = queryIds.length + docIds.length + this.tokenizer.templates.pair.specialCount;
      throw new LimitExceededError(`Input validation error: a pair has ${total} tokens, over the model's limit of ${this.maxLength}; send truncate: true or shorten it.`, 'INPUT_TOO_LONG');
    }
    return applyTemplate(this.tokenizer.templates.pair, cut(queryIds, keepQuery, opts.direction), cut(docIds, keepDoc, opts.direction));
  }
}
