import { describe, expect, it } from 'vitest';
import { loadCrossEncoder } from '../../src/models/kinds/cross-encoder.js';
import { loadEmbedder } from '../../src/models/kinds/embedder.js';
import { encodeBounded } from '../../src/text/precut.js';
import { applyTemplate } from '../../src/text/template.js';
import { cut, longestFirstLengths, type TruncationDirection } from '../../src/text/truncation.js';
import { loadDecoderReranker } from '../../src/models/kinds/decoder-reranker.js';
import { PROMPT_TEMPLATES } from '../../src/text/prompt-templates.js';
import { forgedDecoder, forgedModel } from '../support/forged-model.js';

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

  it("a decoder's prompt under a byte-level tokenizer (Qwen's): the cut body equals the whole body's ids cut", async () => {
    const spec = loadDecoderReranker(await forgedDecoder(), { maxLength: 200 });
    const { tokenizer, encoder } = spec;
    const instruction = PROMPT_TEMPLATES['qwen3-reranker'].defaultInstruction;
    // Byte-level regexes attach a space to the next word and newlines to the punctuation before them.
    const extra = ['end.\n\nNext', 'it\'s', ' \u3000 ', '😀🚀', 'a,\n', '--\n\n', '\t\tx', '1 2 3'];
    const docs = texts(40, 7).map((t, i) => (i % 3 === 0 ? t.split(' ').map((w, j) => (j % 5 === 0 ? `${w}${extra[j % extra.length]}` : w)).join(' ') : t));
    for (const direction of ['right', 'left'] as TruncationDirection[]) {
      for (const doc of docs) {
        const ours = encoder.encodePair('a query', doc, { direction, truncate: true }, instruction);
        const body = cut(tokenizer.encode(`<Instruct>: ${instruction}\n<Query>: a query\n<Document>: ${doc}`), encoder.budget, direction);
        const expected = [...encoder.prefixIds, ...body, ...encoder.suffixIds];
        expect(Array.from(ours.ids), `${direction} ${doc.length} chars`).toEqual(expected);
      }
    }
  });

  it('byte-level cuts: every head is a prefix and every tail a suffix of the whole text\'s ids; whitespace cuts are not', async () => {
    const { tokenizer } = loadDecoderReranker(await forgedDecoder(), {});
    const encode = (t: string): number[] => tokenizer.encode(t);
    const hazards = 'Done.\n\nThen  two  spaces, tabs\tand\ttabs; it\'s 1 2 3 — end!\n(next) ';
    const text = hazards.repeat(60);
    const whole = encode(text);
    const broken = { head: 0, tail: 0 };
    for (let need = 1; need < 600; need += 7) {
      const head = encodeBounded(text, need, 'right', encode, 'byte-level');
      expect(head, `head for ${need}`).toEqual(whole.slice(0, head.length));
      const tail = encodeBounded(text, need, 'left', encode, 'byte-level');
      expect(tail, `tail for ${need}`).toEqual(whole.slice(whole.length - tail.length));
      const loose = encodeBounded(text, need, 'right', encode, 'whitespace');
      if (loose.join() !== whole.slice(0, loose.length).join()) broken.head++;
      const looseTail = encodeBounded(text, need, 'left', encode, 'whitespace');
      if (looseTail.join() !== whole.slice(whole.length - looseTail.length).join()) broken.tail++;
    }
    // Why the rule exists: cutting this text at any whitespace gives other ids at the cut.
    expect(broken.head + broken.tail).toBeGreaterThan(0);
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
