import { Tokenizer } from '@huggingface/tokenizers';
import { splitPrecompiled } from './precompiled-adapter.js';
import { templatesFrom, type Templates } from './template.js';
import { checkTokenizerModel, tokenizerLoadError } from './tokenizer-support.js';

/**
 * Bumped whenever a change makes this code give other token ids for the same files (the exact
 * SentencePiece charsmap, the release's longest_first rule): cache entries keyed before it name
 * scores of other ids, so each model's cache identity includes it.
 */
export const TOKENIZATION_VERSION = 2;

/** What a tokenizer is built from; a model folder provides it (models/model-folder.ts). */
export interface TokenizerFiles {
  /** Where the files came from, for error messages. */
  source: string;
  tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json merged over special_tokens_map.json. */
  tokenizerConfig: Record<string, unknown>;
  /** config.json's pad_token_id, which wins over the tokenizer's pad token. */
  padTokenId?: number | undefined;
}

/** The model's tokenizer, used for bare token ids; special tokens come from the templates. */
export class TextTokenizer {
  readonly templates: Templates;
  readonly padId: number;
  /** One past the largest id the tokenizer can produce: its vocabulary and added tokens. */
  readonly idLimit: number;
  private readonly tokenizer: Tokenizer;
  /** Ids of tokenizer.json's added tokens (special or not): matched as literal strings, not by the model. */
  private readonly added: ReadonlySet<number>;
  /** SentencePiece's charsmap (and any normaliser steps before it), run here instead of by the library. */
  private readonly prenormalize: (text: string) => string;

  constructor(files: TokenizerFiles) {
    try {
      checkTokenizerModel(files.tokenizerJson);
      const split = splitPrecompiled(files.tokenizerJson);
      this.prenormalize = split.prenormalize ?? ((text) => text);
      this.tokenizer = new Tokenizer(split.tokenizerJson, files.tokenizerConfig);
      this.templates = templatesFrom(files.tokenizerJson['post_processor'], (t) => this.tokenizer.token_to_id(t));
    } catch (err) {
      throw tokenizerLoadError(files.source, err);
    }
    this.padId = this.resolvePadId(files);
    this.idLimit = idLimitOf(files.tokenizerJson);
    this.added = new Set(((files.tokenizerJson['added_tokens'] as { id?: unknown }[] | undefined) ?? []).flatMap((t) => (typeof t.id === 'number' ? [t.id] : [])));
  }

  isAddedToken(id: number): boolean {
    return this.added.has(id);
  }

  /** A token's id in the vocabulary or among the added tokens; undefined when it has none. */
  idOf(token: string): number | undefined {
    return this.tokenizer.token_to_id(token) ?? undefined;
  }

  /** The pair layout (the cross-encoder's). */
  get template(): Templates['pair'] {
    return this.templates.pair;
  }

  private resolvePadId(files: TokenizerFiles): number {
    if (typeof files.padTokenId === 'number') return files.padTokenId;
    const padToken = files.tokenizerConfig['pad_token'];
    const name = typeof padToken === 'string' ? padToken : (padToken as { content?: string } | undefined)?.content;
    return (name === undefined ? undefined : this.tokenizer.token_to_id(name)) ?? 0;
  }

  /** Token ids of one text without special tokens. */
  encode(text: string): number[] {
    return this.tokenizer.encode(this.prenormalize(text), { add_special_tokens: false }).ids;
  }

  tokens(text: string): string[] {
    return this.pieces(text).tokens;
  }

  /** Ids and token strings of one text without special tokens, from one encoding. */
  pieces(text: string): { ids: number[]; tokens: string[] } {
    const { ids, tokens } = this.tokenizer.encode(this.prenormalize(text), { add_special_tokens: false });
    return { ids, tokens };
  }

  /** A token's string in the vocabulary, e.g. "[CLS]" or "##ing". */
  tokenOf(id: number): string {
    return this.tokenizer.id_to_token(id) ?? '';
  }
}

/** The vocabulary's largest id plus one: a token-to-id map (WordPiece, BPE), a list (Unigram: index = id), and added tokens. */
function idLimitOf(tokenizerJson: Record<string, unknown>): number {
  let max = -1;
  const model = tokenizerJson['model'] as { vocab?: unknown } | undefined;
  const vocab = model?.vocab;
  if (Array.isArray(vocab)) max = vocab.length - 1;
  else if (typeof vocab === 'object' && vocab !== null) for (const id of Object.values(vocab)) if (typeof id === 'number' && id > max) max = id;
  for (const added of (tokenizerJson['added_tokens'] as { id?: unknown }[] | undefined) ?? []) if (typeof added.id === 'number' && added.id > max) max = added.id;
  return max + 1;
}
