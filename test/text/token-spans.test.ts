import { describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../src/models/model-folder.js';
import { tokenSpans } from '../../src/text/token-spans.js';
import { TextTokenizer } from '../../src/text/tokenizer.js';
import { forgedModel } from '../support/forged-model.js';

/**
 * TEI's /tokenize answer (issue 24): ids, texts and UTF-8 byte offsets of each token in the input.
 * The expectations are worked out by hand from bert-base-uncased's vocabulary (the forged models'),
 * and XLM-R's SentencePiece vocabulary for the second model.
 */
const bert = async (): Promise<TextTokenizer> => new TextTokenizer(loadModelFolder(await forgedModel()).tokenizer);

describe('tokenSpans', () => {
  it('gives each WordPiece token its bytes in the input, special tokens none', async () => {
    const spans = tokenSpans(await bert(), 'Hello, world!', true);
    expect(spans.map(({ text, special, start, stop }) => [text, special, start, stop])).toEqual([
      ['[CLS]', true, null, null],
      ['Hello', false, 0, 5],
      [',', false, 5, 6],
      ['world', false, 7, 12],
      ['!', false, 12, 13],
      ['[SEP]', true, null, null],
    ]);
    expect(spans[1]?.id).toBe(7592); // "hello" in bert-base-uncased
  });

  it("maps a word split into pieces, and accented and multi-byte text, to the input's own bytes", async () => {
    const tok = await bert();
    const split = tokenSpans(tok, 'tokenization', false);
    expect(split.map((s) => [tok.tokenOf(s.id), s.text, s.start, s.stop])).toEqual([
      ['token', 'token', 0, 5],
      ['##ization', 'ization', 5, 12],
    ]);
    // "Café" is 5 bytes (é is two); the uncased vocabulary reads it as "cafe", and "crème" as "cr" + "##eme".
    const accented = tokenSpans(tok, 'Café crème', false);
    expect(accented.map((s) => [tok.tokenOf(s.id), s.text, s.start, s.stop])).toEqual([
      ['cafe', 'Café', 0, 5],
      ['cr', 'cr', 6, 8],
      ['##eme', 'ème', 8, 12],
    ]);
    // A token the input cannot be matched to (the unknown-word token) has no offsets; the next one still does.
    const unknown = tokenSpans(tok, '\u{1F9A9} bird', false);
    expect(unknown.map((s) => [s.text, s.start, s.stop])).toEqual([
      ['[UNK]', null, null],
      ['bird', 5, 9],
    ]);
  });

  it("without special tokens answers the text's tokens alone", async () => {
    expect(tokenSpans(await bert(), 'paris', false).map((s) => s.special)).toEqual([false]);
  });
});
