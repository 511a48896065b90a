import { LimitExceededError } from '../errors.js';
import type { EncodeJob, SequenceEncoder } from './encode-job.js';
import { textAt, textCount } from './packed-texts.js';
import type { TruncationOptions } from './pair-encoder.js';
import { encodeBounded } from './precut.js';
import { PROMPT_TEMPLATES, type BodyTemplate, type PairPartsTemplate, type PromptTemplate, type PromptTemplateName, type QueryDocumentTemplate } from './prompt-templates.js';
import type { EncodedSequence } from './sequence.js';
import { textOfTokens } from './text-of-tokens.js';
import type { TextTokenizer } from './tokenizer.js';
import { cut, longestFirstLengths } from './truncation.js';

/**
 * A decoder reranker's template (text/prompt-templates.ts), exactly as the model cards build the
 * ids: every fixed part and every text part is tokenized alone and the ids joined, the text parts
 * cut as the card cuts them. `max_tokens_per_doc` cuts the document's text first, at the end of its
 * N-th token, so the parts are formatted and tokenized as the card tokenizes them (splicing ids
 * would tokenize the boundary differently).
 */
export class PromptEncoder implements SequenceEncoder {
  readonly template: PromptTemplate;
  readonly prefixIds: number[];
  readonly suffixIds: number[];
  /** The longest sequence this encoder writes, fixed parts included. */
  readonly sequenceMax: number;
  /** 'body': tokens left for the body. 'query-document': the card's max_length for the query and document parts. */
  readonly budget: number;
  private readonly sepIds: number[] = [];
  private readonly taskIds: number[] = [];

  /**
   * `maxLength` is the card's max_length: the whole sequence for Qwen3-Reranker, the query and
   * document parts for mxbai-rerank-v2. `positions` bounds the whole sequence (the position table).
   */
  constructor(
    readonly tokenizer: TextTokenizer,
    maxLength: number,
    template: PromptTemplateName,
    /** The instruction when a request gives none (--reranker-instruction, else the card's). */
    readonly defaultInstruction?: string | undefined,
    private readonly positions = Infinity,
  ) {
    this.template = PROMPT_TEMPLATES[template];
    this.prefixIds = tokenizer.encode(this.template.prefix);
    this.suffixIds = tokenizer.encode(this.template.suffix);
    if (this.template.layout === 'body' || this.template.layout === 'pair-parts') {
      this.sequenceMax = Math.min(maxLength, positions);
      this.budget = this.sequenceMax - this.prefixIds.length - this.suffixIds.length;
    } else {
      this.sepIds = tokenizer.encode(this.template.sep);
      this.taskIds = tokenizer.encode(this.template.task);
      const fixed = this.prefixIds.length + this.taskIds.length + this.suffixIds.length + this.sepIds.length;
      this.budget = Math.min(maxLength, positions - fixed);
      this.sequenceMax = this.budget + fixed;
    }
    if (this.budget < 8) throw new Error(`max length ${maxLength} leaves no room for a query and a document after the ${template} prompt (${this.sequenceMax - this.budget} tokens)`);
  }

  encodeJob(job: EncodeJob): EncodedSequence[] {
    if (job.kind !== 'pairs') throw new Error('a texts job needs an embedding model');
    const instruction = job.instruction ?? this.defaultInstruction ?? this.template.defaultInstruction;
    return Array.from({ length: textCount(job.documents) }, (_, i) => this.encodePair(job.query, textAt(job.documents, i), job.truncation, instruction));
  }

  encodePair(query: string, document: string, opts: TruncationOptions, instruction: string): EncodedSequence {
    const doc = opts.maxTokensPerDoc === undefined ? document : this.cutDocument(document, opts);
    const t = this.template;
    const ids = t.layout === 'body' ? this.bodyIds(t, instruction, query, doc, opts) : t.layout === 'query-document' ? this.pairIds(t, instruction, query, doc, opts) : this.partsIds(t, instruction, query, doc, opts);
    return { ids: Int32Array.from(ids), typeIds: new Uint8Array(ids.length) };
  }

  /** Qwen3-Reranker: the body tokenized alone and cut to what the prefix and suffix leave. */
  private bodyIds(t: BodyTemplate, instruction: string, query: string, doc: string, opts: TruncationOptions): number[] {
    const body = this.encodeCut(t.body(instruction, query, doc), this.budget, opts);
    return [...this.prefixIds, ...body, ...this.suffixIds];
  }

  /**
   * mxbai-rerank-v2: the query part cut to 3/4 of the max length; the document part to what the
   * position table leaves (at most the max length); then the pair (query, sep + document) cut
   * only in its second part to the max length; the task and the chat turn around it.
   */
  private pairIds(t: QueryDocumentTemplate, instruction: string, query: string, doc: string, opts: TruncationOptions): number[] {
    const fixed = this.sequenceMax - this.budget;
    const queryIds = this.encodeCut(t.query(instruction, query), Math.floor((this.budget * 3) / 4), opts);
    const docMax = Math.min(this.positions - queryIds.length - fixed, this.budget);
    const docIds = this.encodeCut(t.document(doc), docMax, opts);
    const second = [...this.sepIds, ...docIds];
    const kept = this.cutOrRefuse(second, this.budget - queryIds.length, opts);
    return [...this.prefixIds, ...queryIds, ...kept, ...this.sepIds, ...this.taskIds, ...this.suffixIds];
  }

  /** A converted sequence classifier: the two texts tokenized alone, cut longest_first as the tokenizers library cuts a pair. */
  private partsIds(t: PairPartsTemplate, instruction: string, query: string, doc: string, opts: TruncationOptions): number[] {
    const need = opts.truncate ? this.budget + 1 : Infinity;
    const first = this.encode(t.first(instruction, query), need, opts);
    const second = this.encode(t.second(doc), need, opts);
    const [keepFirst, keepSecond] = longestFirstLengths(first.length, second.length, this.budget, this.sequenceMax);
    return [...this.cutOrRefuse(first, keepFirst, opts), ...this.cutOrRefuse(second, keepSecond, opts)];
  }

  /** A text's ids cut to `keep` (a 413 instead with truncate: false), without tokenizing more of a long text than matters. */
  private encodeCut(text: string, keep: number, opts: TruncationOptions): number[] {
    return this.cutOrRefuse(this.encode(text, opts.truncate ? keep + 1 : Infinity, opts), keep, opts);
  }

  /** Ids of a text, at least `need` of them when it has that many (precut.ts, with the byte-level cut rule). */
  private encode(text: string, need: number, opts: Pick<TruncationOptions, 'direction'>): number[] {
    return encodeBounded(text, need, opts.direction, (s) => this.tokenizer.encode(s), 'byte-level');
  }

  private cutOrRefuse(ids: number[], keep: number, opts: TruncationOptions): number[] {
    if (ids.length <= keep) return ids;
    if (!opts.truncate) {
      throw new LimitExceededError(`Input validation error: a pair is over the model's limit of ${this.sequenceMax} tokens with the ${this.template.name} prompt; send truncate: true or shorten it.`, 'INPUT_TOO_LONG');
    }
    return cut(ids, keep, opts.direction);
  }

  private cutDocument(document: string, opts: TruncationOptions): string {
    const n = opts.maxTokensPerDoc as number;
    if (this.encode(document, n + 1, opts).length <= n) return document;
    return textOfTokens(this.tokenizer, document, n, opts.direction);
  }
}
