import { LimitExceededError } from '../errors.js';
import { textAt, textCount } from './packed-texts.js';
import { encodeBounded } from './precut.js';
import type { EncodeJob, SequenceEncoder } from './encode-job.js';
import type { EncodedSequence } from './sequence.js';
import { applyTemplate } from './template.js';
import type { TextTokenizer } from './tokenizer.js';
import { cut, type TruncationDirection } from './truncation.js';

export interface TextTruncation {
  direction: TruncationDirection;
  /** When false a text over the limit is an error instead of being cut. */
  truncate: boolean;
}

/** One text as an embedding model reads it: the single-sequence template around it, cut to fit. */
export class TextEncoder implements SequenceEncoder {
  /** Tokens left for the text once the template's special tokens are placed. */
  readonly budget: number;

  constructor(
    readonly tokenizer: TextTokenizer,
    readonly maxLength: number,
    /** sentence-transformers' do_lower_case: the text is lowercased before the tokenizer sees it. */
    readonly lowercase = false,
  ) {
    this.budget = maxLength - tokenizer.templates.single.specialCount;
    if (this.budget < 1) throw new Error(`max length ${maxLength} leaves no room for a text`);
  }

  encodeJob(job: EncodeJob): EncodedSequence[] {
    if (job.kind !== 'texts') throw new Error('a pairs job needs a cross-encoder');
    return Array.from({ length: textCount(job.texts) }, (_, i) => this.encode(textAt(job.texts, i), job.truncation));
  }

  encode(input: string, opts: TextTruncation): EncodedSequence {
    const text = this.lowercase ? input.toLowerCase() : input;
    const ids = encodeBounded(text, opts.truncate ? this.budget + 1 : Infinity, opts.direction, (t) => this.tokenizer.encode(t));
    if (ids.length > this.budget && !opts.truncate) {
      throw new LimitExceededError(
        `Input validation error: a text has ${ids.length + this.tokenizer.templates.single.specialCount} tokens, over the model's limit of ${this.maxLength}; send truncate: true or shorten it.`,
        'INPUT_TOO_LONG',
      );
    }
    return applyTemplate(this.tokenizer.templates.single, cut(ids, this.budget, opts.direction));
  }
}
