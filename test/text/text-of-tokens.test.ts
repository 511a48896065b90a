import { describe, expect, it } from 'vitest';
import { loadDecoderReranker } from '../../src/models/kinds/decoder-reranker.js';
import { textOfTokens } from '../../src/text/text-of-tokens.js';
import { forgedDecoder } from '../support/forged-model.js';

const TEXTS = [
  'Rivers flow to the sea, carrying silt and stories.',
  'Größenmaßstäbe in München: café, naïve, Ångström.',
  '東京は日本の首都です。大阪は大きい都市です。',
  'Emoji 🚀🔥👩‍👩‍👧 sequences and <|im_end|> inside a text',
  '    leading spaces\n\nand blank lines\tand tabs',
];

describe('textOfTokens (max_tokens_per_doc under a byte-level tokenizer)', () => {
  it('the cut text starts the same ids: the first n when it ends on a character boundary, the n-th token\'s whole character otherwise', async () => {
    const { tokenizer } = loadDecoderReranker(await forgedDecoder(), {});
    for (const text of TEXTS) {
      const ids = tokenizer.encode(text);
      for (let n = 1; n < ids.length; n++) {
        const right = textOfTokens(tokenizer, text, n, 'right');
        expect(text.startsWith(right), `${text} ${n}`).toBe(true);
        const again = tokenizer.encode(right);
        // A token that ends inside a character (byte-level pieces of an emoji or a CJK character) takes the whole character.
        expect(again.length, `${text} ${n}`).toBeGreaterThanOrEqual(n);
        expect(again.slice(0, n - 1), `${text} ${n}`).toEqual(ids.slice(0, n - 1));
        const left = textOfTokens(tokenizer, text, n, 'left');
        expect(text.endsWith(left), `${text} ${n} left`).toBe(true);
        // A tail that starts inside a word may merge that word's first pieces differently; the rest is the same ids.
        const tail = tokenizer.encode(left);
        const keep = Math.max(0, n - 4);
        expect(tail.slice(tail.length - keep), `${text} ${n} left`).toEqual(ids.slice(ids.length - keep));
      }
    }
  });

  it('an ASCII text is cut exactly at the end of its n-th token', async () => {
    const { tokenizer } = loadDecoderReranker(await forgedDecoder(), {});
    const text = TEXTS[0] as string;
    const ids = tokenizer.encode(text);
    for (let n = 1; n < ids.length; n++) expect(tokenizer.encode(textOfTokens(tokenizer, text, n, 'right'))).toEqual(ids.slice(0, n));
    expect(textOfTokens(tokenizer, text, ids.length + 3, 'right')).toBe(text);
  });
});
