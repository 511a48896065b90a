import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitPrecompiled } from '../../src/text/precompiled-adapter.js';
import { PrecompiledCharsmap } from '../../src/text/precompiled-charsmap.js';

type Json = Record<string, unknown>;
const XLMR = JSON.parse(readFileSync(new URL('../fixtures/hf/xlmr-spm/tokenizer.json', import.meta.url), 'utf8')) as Json;
const steps = (XLMR['normalizer'] as { normalizers: Json[] }).normalizers;
const precompiled = steps[0] as Json;
const charsmap = PrecompiledCharsmap.fromBase64(precompiled['precompiled_charsmap'] as string);

describe('the Precompiled charsmap (SentencePiece nmt_nfkc rules)', () => {
  it('applies NFKC-style rules, longest match first, and passes unmatched characters through', () => {
    expect(charsmap.normalize('ｈａｌｆ ＦＵＬＬ－ＷＩＤＴＨ １２３')).toBe('half FULL-WIDTH 123');
    expect(charsmap.normalize('ﬁnance ㍻ ½')).toBe('finance 平成 1⁄2');
    // ｶ followed by the half-width voiced mark is one 6-byte key, ガ; ｶ alone is カ.
    expect(charsmap.normalize('ｶﾞｶ')).toBe('ガカ');
    expect(charsmap.normalize('e\u0301')).toBe('\u00e9');
    expect(charsmap.normalize('plain ascii, 東京, Москва')).toBe('plain ascii, 東京, Москва');
  });

  it('maps whitespace and zero-width spaces to a space but keeps the zero width joiner', () => {
    expect(charsmap.normalize('a\u00a0b\u2003c\u3000d\u200be\u200cf\ufeffg')).toBe('a b c d e f g');
    expect(charsmap.normalize('\t\n\r')).toBe('   ');
    expect(charsmap.normalize('क्\u200dष 👩\u200d💻')).toBe('क्\u200dष 👩\u200d💻');
  });

  it('refuses a blob that is not a charsmap', () => {
    expect(() => PrecompiledCharsmap.fromBase64('')).toThrow(/fewer than its own size field/);
    expect(() => PrecompiledCharsmap.fromBase64(Buffer.from([8, 0, 0, 0, 1]).toString('base64'))).toThrow(/declares a 8-byte trie in a 5-byte blob/);
  });
});

describe('splitPrecompiled: our charsmap first, the library the rest', () => {
  it('leaves a tokenizer.json without Precompiled untouched', () => {
    const bert = { normalizer: { type: 'BertNormalizer', lowercase: true }, model: {} };
    expect(splitPrecompiled(bert)).toEqual({ tokenizerJson: bert, prenormalize: undefined });
    expect(splitPrecompiled({ normalizer: null }).prenormalize).toBeUndefined();
  });

  it('XLM-R: hands the library the Strip and Replace steps that stand in for SentencePiece\'s whitespace rules', () => {
    const split = splitPrecompiled(XLMR);
    expect(split.tokenizerJson['normalizer']).toEqual({ type: 'Sequence', normalizers: steps.slice(1) });
    expect(split.tokenizerJson['model']).toBe(XLMR['model']);
    expect(split.prenormalize?.('x\u200dy\u3000ｶﾞ')).toBe('x\u200dy ガ');
  });

  it('a bare Precompiled normaliser leaves the library none', () => {
    const split = splitPrecompiled({ normalizer: precompiled });
    expect(split.tokenizerJson['normalizer']).toBeNull();
    expect(split.prenormalize?.('ﬁ')).toBe('fi');
  });

  it('runs steps before Precompiled first, in order (ALBERT and DeBERTa-v2 put Lowercase or Strip there)', () => {
    const split = splitPrecompiled({
      normalizer: { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, { type: 'Sequence', normalizers: [precompiled] }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    });
    expect(split.prenormalize?.('ＡＢ Ｃ')).toBe('ab c');
    expect(split.tokenizerJson['normalizer']).toEqual({ type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] });
  });

  it('an empty charsmap changes nothing, as in the Rust library', () => {
    expect(splitPrecompiled({ normalizer: { type: 'Precompiled', precompiled_charsmap: '' } }).prenormalize?.('ｈ\u200b')).toBe('ｈ\u200b');
  });
});
