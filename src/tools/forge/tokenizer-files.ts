import { SPECIAL_TOKENS } from './vocab.js';

/**
 * Tokenizer files in the layout of the hub's bert-base-uncased folder. The
 * JSON shapes (TemplateProcessing pieces, added_tokens fields) are the ones
 * the Rust tokenizers library serialises, so any loader that reads hub files
 * reads these.
 */

const ADDED_TOKEN_ORDER = [
  SPECIAL_TOKENS.pad,
  SPECIAL_TOKENS.unk,
  SPECIAL_TOKENS.cls,
  SPECIAL_TOKENS.sep,
  SPECIAL_TOKENS.mask,
];

function idOf(vocab: string[], token: string): number {
  const id = vocab.indexOf(token);
  if (id < 0) throw new Error(`token ${token} missing from vocab`);
  return id;
}

export function buildTokenizerJson(vocab: string[]): Record<string, unknown> {
  const { cls, sep, unk } = SPECIAL_TOKENS;
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const specialEntry = (token: string) => ({ id: token, ids: [idOf(vocab, token)], tokens: [token] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ADDED_TOKEN_ORDER.map((content) => ({
      id: idOf(vocab, content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      // null means "follow lowercase", which is how uncased BERT strips accents.
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
      pair: [special(cls, 0), sequence('A', 0), special(sep, 0), sequence('B', 1), special(sep, 1)],
      special_tokens: { [cls]: specialEntry(cls), [sep]: specialEntry(sep) },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
    },
  };
}

export function buildSpecialTokensMap(): Record<string, string> {
  return {
    unk_token: SPECIAL_TOKENS.unk,
    sep_token: SPECIAL_TOKENS.sep,
    pad_token: SPECIAL_TOKENS.pad,
    cls_token: SPECIAL_TOKENS.cls,
    mask_token: SPECIAL_TOKENS.mask,
  };
}

export function buildTokenizerConfig(vocab: string[], modelMaxLength: number): Record<string, unknown> {
  const addedTokensDecoder = Object.fromEntries(
    ADDED_TOKEN_ORDER.map((content) => [
      String(idOf(vocab, content)),
      { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
    ]),
  );
  return {
    added_tokens_decoder: addedTokensDecoder,
    clean_up_tokenization_spaces: true,
    do_basic_tokenize: true,
    do_lower_case: true,
    model_max_length: modelMaxLength,
    never_split: null,
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
    ...buildSpecialTokensMap(),
  };
}

/** One token per line in id order, as BertTokenizer's vocab_file expects. */
export function buildVocabTxt(vocab: string[]): string {
  return `${vocab.join('\n')}\n`;
}
