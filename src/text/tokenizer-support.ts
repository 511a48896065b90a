import { ModelLoadError } from '../errors.js';

/**
 * Which tokenizer.json files the service can tokenize exactly, and the error a folder gets when it
 * cannot. The library throws on component types it does not know, except the model: an unknown
 * model type with a vocabulary silently becomes its "Legacy" whitespace tokenizer, which would
 * score every text on wrong ids. So the model type is checked here first.
 */
const MODELS = new Set(['WordPiece', 'Unigram', 'BPE']);

const SUPPORTED =
  'Supported and tested: BERT-style WordPiece tokenizers and XLM-RoBERTa-style SentencePiece Unigram tokenizers (Precompiled normaliser, Metaspace); ' +
  'BPE tokenizers load too. Serve a model of one of these families, or export its tokenizer with transformers (tokenizer.save_pretrained).';

export class UnsupportedTokenizerError extends Error {
  override readonly name = 'UnsupportedTokenizerError';
}

/** Throws UnsupportedTokenizerError unless the model section is one the library implements. */
export function checkTokenizerModel(tokenizerJson: Record<string, unknown>): void {
  const model = tokenizerJson['model'] as { type?: unknown } | undefined;
  const type = model?.type;
  if (typeof type !== 'string' || !MODELS.has(type)) {
    throw new UnsupportedTokenizerError(`tokenizer.json's model type ${typeof type === 'string' ? type : '(none)'} is not supported`);
  }
}

/** The library's class names for tokenizer.json's sections, as in its "Unknown Normalizer type: X" errors. */
const SECTIONS: Record<string, string> = { Normalizer: 'normalizer', PreTokenizer: 'pre_tokenizer', TokenizerModel: 'model', PostProcessor: 'post_processor', Decoder: 'decoder' };

/** The ModelLoadError for a tokenizer that failed to build: unsupported parts are named as such, anything else is a damaged file. */
export function tokenizerLoadError(source: string, err: unknown): ModelLoadError {
  let message = err instanceof Error ? err.message : String(err);
  const unknown = /^Unknown (\w+) type: (.*)$/.exec(message);
  if (unknown !== null) message = `tokenizer.json's ${SECTIONS[unknown[1] ?? ''] ?? unknown[1]} type ${unknown[2]} is not supported`;
  // template.ts says "post_processor type X is not supported" when the library knows a type that we do not lay out.
  const unsupported = err instanceof UnsupportedTokenizerError || /is not supported/.test(message);
  return unsupported
    ? new ModelLoadError(source, `the tokenizer cannot be served: ${message}`, SUPPORTED)
    : new ModelLoadError(source, `the tokenizer cannot be built (${message})`, 'Download the tokenizer files again from the model repository.');
}
