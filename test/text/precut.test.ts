import { describe, expect, it } from 'vitest';
import { loadCrossEncoder } from '../../src/models/kinds/cross-encoder.js';
import { loadEmbedder } from '../../src/models/kinds/embedder.js';
import { encodeBounded } from '../../src/text/precut.js';
import { applyTemplate } from '../../src/text/template.js';
import { cut, longestFirstLengths, type TruncationDirection } from '../../src/text/truncation.js';
import { forgedModel } from '../support/forged-model.js';

const XLMR = new URL('../fixtures/hf/xlmr-st-cls/', import.meta.url).pathname;

const PIECES = ['paris', 'France', 'capital', 'unaffable', 'Größenmaßstäbe', 'Москва', '東京は日本の首都です。', '!!', 'a'.repeat(120), '123,456', '—', 'e\u0301', '\u00a0', '  ', '\n', '\t', '\r\n', 'x'];

/** Seeded texts of mixed scripts, long words, runs of whitespace and no whitespace at all. */
function texts(count: number, seed: number): string[] {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, (_, i) => {
    const words = Math.floor(next() ** 3 * 4000);
    let t = '';
    for (let w = 0; w < words; w++) t += (PIECES[Math.floor(next() * PIECES.length)] as string) + (next() < 0.8 ? ' ' : '');
    // Some texts are one unbroken run of CJK or letters, with no whitespace to cut at.
    if (i % 7 === 0) t = '東京'.repeat(Math.floor(next() * 3000));
    if (i % 11 === 0) t = `${'  '.repeat(Math.floor(next() * 3000))}tail words here`;
    return t;
  });
}

describe('the character pre-cut never changes what the model reads', () => {
  it('pairs: equal to tokenizing the whole texts, for both directions and several budgets', async () => {
    const spec = loadCrossEncoder(await forgedModel({ maxPositions: 64 }), {});
    const { tokenizer, encoder } = spec;
    const full = (t: string): number[] => tokenizer.encode(t);
    const docs = texts(30, 3);
    const queries = [...texts(3, 9), 'short query'];
    for (const direction of ['right', 'left'] as TruncationDirection[]) {
      for (const query of queries) {
        const queryIds = encoder.encodeQuery(query, { direction, truncate: true });
        const q = full(query);
        for (const doc of docs) {
          for (const maxTokensPerDoc of [undefined, 5, 300]) {
            const ours = encoder.encodePair(queryIds, doc, { direction, truncate: true, maxTokensPerDoc });
            let d = full(doc);
            if (maxTokensPerDoc !== undefined) d = cut(d, maxTokensPerDoc, direction);
            const [kq, kd] = longestFirstLengths(q.length, d.length, encoder.budget, encoder.maxLength);
            const expected = applyTemplate(tokenizer.templates.pair, cut(q, kq, direction), cut(d, kd, direction));
            expect(Array.from(ours.ids), `${direction} ${doc.length} chars`).toEqual(Array.from(expected.ids));
          }
        }
      }
    }
  });

  it('single texts: equal to tokenizing the whole text (BERT WordPiece and XLM-R SentencePiece)', async () => {
    for (const dir of [await forgedModel({ preset: 'embed-tiny' }), XLMR]) {
      const { tokenizer, encoder } = loadEmbedder(dir, {});
      for (const direction of ['right', 'left'] as TruncationDirection[]) {
        for (const text of texts(60, 5)) {
          const ours = encoder.encode(text, { direction, truncate: true });
          const expected = applyTemplate(tokenizer.templates.single, cut(tokenizer.encode(text), encoder.budget, direction));
          expect(Array.from(ours.ids), `${dir} ${direction} ${text.length} chars`).toEqual(Array.from(expected.ids));
        }
      }
    }
  });

  it('reads only the head of a long text', () => {
    let read = 0;
    const encode = (t: string): number[] => {
      read += t.length;
      return t.split(' ').filter(Boolean).map(() => 1);
    };
    const ids = encodeBounded('word '.repeat(20_000), 513, 'right', encode);
    expect(ids.length).toBeGreaterThanOrEqual(513);
    expect(read).toBeLessThan(5_000);
  });
});
