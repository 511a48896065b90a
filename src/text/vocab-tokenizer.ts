/**
 * Older BERT rerankers on the hub ship only vocab.txt and tokenizer_config.json. This builds the
 * tokenizer.json that the Rust library would derive from them (BertTokenizerFast's converter), so
 * those folders load without a conversion step.
 */
type TokenValue = string | { content?: string } | undefined;

function tokenName(value: unknown, fallback: string): string {
  const v = value as TokenValue;
  if (typeof v === 'string') return v;
  if (v !== undefined && v !== null && typeof v.content === 'string') return v.content;
  return fallback;
}

export function tokenizerJsonFromVocab(vocabText: string, tokenizerConfig: Record<string, unknown>): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  const lines = vocabText.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, id) => {
    const token = line.replace(/\r$/, '');
    if (!(token in vocab)) vocab[token] = id;
  });
  const special = {
    cls: tokenName(tokenizerConfig['cls_token'], '[CLS]'),
    sep: tokenName(tokenizerConfig['sep_token'], '[SEP]'),
    pad: tokenName(tokenizerConfig['pad_token'], '[PAD]'),
    unk: tokenName(tokenizerConfig['unk_token'], '[UNK]'),
    mask: tokenName(tokenizerConfig['mask_token'], '[MASK]'),
  };
  const idOf = (token: string): number => {
    const id = vocab[token];
    if (id === undefined) throw new Error(`vocab.txt has no ${token} token`);
    return id;
  };
  const lowercase = tokenizerConfig['do_lower_case'] !== false;
  const stripAccents = tokenizerConfig['strip_accents'];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: Object.values(special)
      .filter((t) => t in vocab)
      .map((t) => ({ id: idOf(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: tokenizerConfig['tokenize_chinese_chars'] !== false,
      strip_accents: typeof stripAccents === 'boolean' ? stripAccents : null,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: special.cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: special.sep, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: special.cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: special.sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: special.sep, type_id: 1 } },
      ],
      special_tokens: {
        [special.cls]: { id: special.cls, ids: [idOf(special.cls)], tokens: [special.cls] },
        [special.sep]: { id: special.sep, ids: [idOf(special.sep)], tokens: [special.sep] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: special.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}
