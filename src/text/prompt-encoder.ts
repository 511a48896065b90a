import { LimitExceededError } from '../errors.js';
import type { EncodeJob, SequenceEncoder } from './encode-job.js';
import { textAt, textCount } from './packed-texts.js';
import type { TruncationOptions } from './pair-encoder.js';
import { encodeBounded } from './precut.js';
import { PROMPT_TEMPLATES, type PromptTemplate, type PromptTemplateName } from './prompt-templates.js';
import type { EncodedSequence } from './sequence.js';
import { textOfTokens } from './text-of-tokens.js';
import type { TextTokenizer } from './tokenizer.js';
import { cut } from './truncation.js';

/**
 * A decoder reranker's template: prefix ids + body ids + suffix ids, exactly as the model cards
 * build them. The body (instruction, query and document formatted as one string) is tokenized
 * alone and cut to what the prefix and suffix leave of the max length; `max_tokens_per_doc` cuts
 * the document's text first, at the end of its N-th token, so the body is tokenized as the card
 * tokenizes it (splicing ids would tokenize the boundary differently).
 */
export class PromptEncoder implements SequenceEncoder {
  readonly template: PromptTemplate;
  readonly prefixIds: number[];
  readonly suffixIds: number[];
  /** Tokens left for the body. */
  readonly budget: number;

  constructor(
    readonly tokenizer: TextTokenizer,
    readonly maxLength: number,
    template: PromptTemplateName,
    /** The instruction when a request gives none (--reranker-instruction, else the card's). */
    readonly defaultInstruction?: string | undefined,
  ) {
    this.template = PROMPT_TEMPLATES[template];
    this.prefixIds = tokenizer.encode(this.template.prefix);
    this.suffixIds = tokenizer.encode(this.template.suffix);
    this.budget = maxLength - this.prefixIds.length - this.suffixIds.length;
    if (this.budget < 8) throw new Error(`max length ${maxLength} leaves no room for a query and a document after the ${template} prompt (${this.prefixIds.length + this.suffixIds.length} tokens)`);
  }

  encodeJob(job: EncodeJob): EncodedSequence[] {
    if (job.kind !== 'pairs') throw new Error('a texts job needs an embedding model');
    const instruction = job.instruction ?? this.defaultInstruction ?? this.template.defaultInstruction;
    return Array.from({ length: textCount(job.documents) }, (_, i) => this.encodePair(job.query, textAt(job.documents, i), job.truncation, instruction));
  }

  encodePair(query: string, document: string, opts: TruncationOptions, instruction: string): EncodedSequence {
    const doc = opts.maxTokensPerDoc === undefined ? document : this.cutDocument(document, opts);
    const body = this.template.body(instruction, query, doc);
    const need = opts.truncate ? this.budget + 1 : Infinity;
    const ids = encodeBounded(body, need, opts.direction, (t) => this.tokenizer.encode(t), 'byte-level');
    if (!opts.truncate && ids.length > this.budget) {
      const total = ids.length + this.prefixIds.length + this.suffixIds.length;
      throw new LimitExceededError(`Input validation error: a pair has ${total} tokens with the ${this.template.name} prompt, over the model's limit of ${this.maxLength}; send truncate: true or shorten it.`, 'INPUT_TOO_LONG');
    }
    const kept = cut(ids, this.budget, opts.direction);
    const all = new Int32Array(this.prefixIds.length + kept.length + this.suffixIds.length);
    all.set(this.prefixIds, 0);
    all.set(kept, this.prefixIds.length);
    all.set(this.suffixIds, this.prefixIds.length + kept.length);
    return { ids: all, typeIds: new Uint8Array(all.length) };
  }

  private cutDocument(document: string, opts: TruncationOptions): string {
    const n = opts.maxTokensPerDoc as number;
    const ids = encodeBounded(document, n + 1, opts.direction, (t) => this.tokenizer.encode(t), 'byte-level');
    if (ids.length <= n) return document;
    return textOfTokens(this.tokenizer, document, n, opts.direction);
  }
}
