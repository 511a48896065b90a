import type { SequenceEncoder } from './encode-job.js';
import { PairEncoder } from './pair-encoder.js';
import { PromptEncoder } from './prompt-encoder.js';
import type { PromptTemplateName } from './prompt-templates.js';
import { TextEncoder } from './text-encoder.js';
import { TextTokenizer, type TokenizerFiles } from './tokenizer.js';

/**
 * How a model's texts become ids, as plain data: it crosses into every tokenizer thread, which
 * builds the same encoder the main thread would. A new template is one more variant here.
 */
export type EncoderRecipe =
  /** A cross-encoder's pair template: query and document cut together (longest_first). */
  | { template: 'pair'; files: TokenizerFiles; maxLength: number }
  /** An embedding model's single-text template; `lowercase` is sentence-transformers' do_lower_case. */
  | { template: 'single'; files: TokenizerFiles; maxLength: number; lowercase: boolean }
  /** A decoder reranker's prompt (text/prompt-templates.ts) with its default instruction. */
  | { template: 'prompt'; prompt: PromptTemplateName; files: TokenizerFiles; maxLength: number; positions?: number | undefined; instruction?: string | undefined };

/** The one place an encoder is built from its recipe, on whichever thread tokenizes. */
export function createEncoder(recipe: EncoderRecipe, tokenizer = new TextTokenizer(recipe.files)): SequenceEncoder {
  switch (recipe.template) {
    case 'pair':
      return new PairEncoder(tokenizer, recipe.maxLength);
    case 'single':
      return new TextEncoder(tokenizer, recipe.maxLength, recipe.lowercase);
    case 'prompt':
      return new PromptEncoder(tokenizer, recipe.maxLength, recipe.prompt, recipe.instruction, recipe.positions);
  }
}
