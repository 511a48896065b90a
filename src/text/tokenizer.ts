import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from '../errors.js';
import type { ModelFolder } from '../models/model-folder.js';
import { pairTemplateFrom, type PairTemplate } from './template.js';

/** The model's tokenizer, used for bare token ids; special tokens come from the pair template. */
export class TextTokenizer {
  readonly template: PairTemplate;
  readonly padId: number;
  private readonly tokenizer: Tokenizer;

  constructor(folder: ModelFolder) {
    const where = folder.tokenizerFromVocab ? `${folder.dir}/vocab.txt` : `${folder.dir}/tokenizer.json`;
    try {
      this.tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig);
      this.template = pairTemplateFrom(folder.tokenizerJson['post_processor'], (t) => this.tokenizer.token_to_id(t));
    } catch (err) {
      throw new ModelLoadError(where, `the tokenizer cannot be built (${(err as Error).message})`, 'Download the tokenizer files again from the model repository.');
    }
    this.padId = this.resolvePadId(folder);
  }

  private resolvePadId(folder: ModelFolder): number {
    if (typeof folder.config.pad_token_id === 'number') return folder.config.pad_token_id;
    const padToken = folder.tokenizerConfig['pad_token'];
    const name = typeof padToken === 'string' ? padToken : (padToken as { content?: string } | undefined)?.content;
    return (name === undefined ? undefined : this.tokenizer.token_to_id(name)) ?? 0;
  }

  /** Token ids of one text without special tokens. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  tokens(text: string): string[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).tokens;
  }
}
