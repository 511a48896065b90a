import { LimitExceededError } from '../errors.js';
import { applyPairTemplate } from './template.js';
import type { TextTokenizer } from './tokenizer.js';
import { cut, longestFirstLengths, type TruncationDirection } from './truncation.js';

/** One (query, document) pair as the model reads it: special tokens in place, truncated to fit. */
export interface EncodedPair {
  ids: Int32Array;
  typeIds: Uint8Array;
}

export interface TruncationOptions {
  direction: TruncationDirection;
  /** When false a pair over the limit is an error instead of being cut. */
  truncate: boolean;
  /** Cuts the document alone to this many tokens before the pair rule runs. */
  maxTokensPerDoc?: number | undefined;
}

export class PairEncoder {
  /** Tokens left for query and document once the template's special tokens are placed. */
  readonly budget: number;

  constructor(
    readonly tokenizer: TextTokenizer,
    readonly maxLength: number,
  ) {
    this.budget = maxLength - tokenizer.template.specialCount;
    if (this.budget < 2) throw new Error(`max length ${maxLength} leaves no room for a pair`);
  }

  encodeQuery(query: string): number[] {
    return this.tokenizer.encode(query);
  }

  encodePair(queryIds: number[], document: string, opts: TruncationOptions): EncodedPair {
    let docIds = this.tokenizer.encode(document);
    if (opts.maxTokensPerDoc !== undefined) docIds = cut(docIds, opts.maxTokensPerDoc, opts.direction);
    const [keepQuery, keepDoc] = longestFirstLengths(queryIds.length, docIds.length, this.budget);
    if (!opts.truncate && (keepQuery < queryIds.length || keepDoc < docIds.length)) {
      const total = queryIds.length + docIds.length + this.tokenizer.template.specialCount;
      throw new LimitExceededError(`Input validation error: a pair has ${total} tokens, over the model's limit of ${this.maxLength}; send truncate: true or shorten it.`, 'INPUT_TOO_LONG');
    }
    return applyPairTemplate(this.tokenizer.template, cut(queryIds, keepQuery, opts.direction), cut(docIds, keepDoc, opts.direction));
  }
}
