import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../src/text/tokenizer.js';

/**
 * xlmr-spm/ holds a SentencePiece Unigram model (nmt_nfkc, so a Precompiled charsmap) and the
 * tokenizer.json transformers' XLMRobertaConverter wrote from it. The expected ids are
 * SentencePiece's own (test/fixtures/hf/make_fixtures.py, make_spm_fuzz.py), not ours.
 */
const DIR = new URL('../fixtures/hf/xlmr-spm/', import.meta.url).pathname;
const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, unknown>;

interface IdsRow {
  text: string;
  sentencepiece: number[];
  rust_tokenizers: number[];
  pieces: string[];
}
const handPicked = json('ids.json')['strings'] as IdsRow[];
const fuzz = json('fuzz-ids.json')['strings'] as { text: string; ids: number[] }[];
const tokenizerJson = json('tokenizer.json');
const tokenizerConfig = { ...json('special_tokens_map.json'), ...json('tokenizer_config.json') };
const tokenizer = new TextTokenizer({ source: DIR, tokenizerJson, tokenizerConfig });

describe('XLM-R SentencePiece tokenization equals SentencePiece (issue 13)', () => {
  it('gives SentencePiece\'s ids on each of the 34 hand-picked strings', () => {
    expect(handPicked).toHaveLength(34);
    for (const row of handPicked) expect(tokenizer.encode(row.text), JSON.stringify(row.text)).toEqual(row.sentencepiece);
  });

  it('keeps U+200D ZERO WIDTH JOINER inside Devanagari conjuncts and emoji sequences', () => {
    for (const text of ['क्\u200dष', '👨\u200d👩\u200d👧', '👩\u200d💻 coder', 'x\u200dy']) {
      const row = handPicked.find((r) => r.text === text);
      expect(row, text).toBeDefined();
      expect(tokenizer.tokens(text).join(''), text).toBe((row as IdsRow).pieces.join(''));
    }
  });

  it('follows SentencePiece, not the Rust tokenizers, on half-width katakana with voiced marks', () => {
    // The Rust Precompiled normaliser matches per grapheme and misses ｶﾞ -> ガ (6 bytes); SentencePiece matches bytes.
    const row = handPicked.find((r) => r.text === 'ﾊﾝｶｸ ｶﾀｶﾅ ｶﾞｷﾞｸﾞ') as IdsRow;
    expect(row.rust_tokenizers).not.toEqual(row.sentencepiece);
    expect(tokenizer.encode(row.text)).toEqual(row.sentencepiece);
    expect(tokenizer.tokens(row.text)).toEqual(['▁ハンカク', '▁カタカナ', '▁ガギグ']);
  });

  it('gives SentencePiece\'s ids on 400 seeded mixes of whitespace, joiners, marks, kana and compatibility characters', () => {
    expect(fuzz).toHaveLength(400);
    const wrong = fuzz.filter((row) => JSON.stringify(tokenizer.encode(row.text)) !== JSON.stringify(row.ids));
    expect(wrong.map((r) => r.text)).toEqual([]);
  });

  it('is needed: the library\'s own approximation of the charsmap gets many of them wrong', () => {
    const library = new Tokenizer(tokenizerJson, tokenizerConfig);
    const encode = (text: string): number[] => library.encode(text, { add_special_tokens: false }).ids;
    const wrong = [...handPicked.map((r) => ({ text: r.text, ids: r.sentencepiece })), ...fuzz].filter((r) => JSON.stringify(encode(r.text)) !== JSON.stringify(r.ids));
    expect(wrong.length).toBeGreaterThan(100);
    expect(wrong.map((r) => r.text)).toContain('क्\u200dष');
  });
});
