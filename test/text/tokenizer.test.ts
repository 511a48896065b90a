import { beforeAll, describe, expect, it } from 'vitest';
import { loadCrossEncoder, type CrossEncoderSpec } from '../../src/models/kinds/cross-encoder.js';
import { forgedModel } from '../support/forged-model.js';

let spec: CrossEncoderSpec;
beforeAll(async () => {
  spec = loadCrossEncoder(await forgedModel(), {});
});

/** Ids are bert-base-uncased's, which the forged vocabulary reproduces. */
describe('bert-base-uncased tokenization', () => {
  it('lowercases and splits punctuation', () => {
    expect(spec.tokenizer.tokens('Hello, World!')).toEqual(['hello', ',', 'world', '!']);
    expect(spec.tokenizer.encode('Hello, World!')).toEqual([7592, 1010, 2088, 999]);
  });

  it('strips accents', () => {
    // bert-base-uncased has "cafe" but no "deja", so the accent-free word splits into pieces.
    expect(spec.tokenizer.tokens('Café Déjà Vu')).toEqual(['cafe', 'de', '##ja', 'vu']);
  });

  it('splits CJK ideographs one by one, and strips the voicing mark of kana like any accent', () => {
    // NFD turns で into て plus a combining mark, which accent stripping drops.
    expect(spec.tokenizer.tokens('東京で中文')).toEqual(['東', '京', 'て', '中', '文']);
    expect(spec.tokenizer.encode('中文')).toEqual([1746, 1861]);
  });

  it('splits long words into word pieces and maps over-long words to [UNK]', () => {
    expect(spec.tokenizer.tokens('unaffable')).toEqual(['una', '##ffa', '##ble']);
    expect(spec.tokenizer.encode('a'.repeat(101))).toEqual([100]);
  });

  it('lays a pair out as [CLS] query [SEP] document [SEP] with type ids 0 then 1', () => {
    const q = spec.encoder.encodeQuery('the query');
    const pair = spec.encoder.encodePair(q, 'a document', { direction: 'right', truncate: true });
    expect(Array.from(pair.ids)).toEqual([101, 1996, 23032, 102, 1037, 6254, 102]);
    expect(Array.from(pair.typeIds)).toEqual([0, 0, 0, 0, 1, 1, 1]);
  });
});
