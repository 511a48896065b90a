import type { TextTokenizer } from './tokenizer.js';

/** One token as Hugging Face TEI's /tokenize answers it: start and stop are UTF-8 byte offsets into the input. */
export interface TokenSpan {
  id: number;
  text: string;
  special: boolean;
  start: number | null;
  stop: number | null;
}

/** A character of the folded input and the bytes of the input character it came from. */
interface Folded {
  text: string;
  /** Per UTF-16 unit of `text`: the input character's first byte and the byte after it. */
  from: Int32Array;
  to: Int32Array;
}

/** Case and accents folded, as uncased WordPiece models see text, with each folded unit mapped back to input bytes. */
function fold(input: string): Folded {
  let text = '';
  const from: number[] = [];
  const to: number[] = [];
  let byte = 0;
  for (const ch of input) {
    const bytes = Buffer.byteLength(ch);
    const f = foldChars(ch);
    for (let i = 0; i < f.length; i++) {
      from.push(byte);
      to.push(byte + bytes);
    }
    text += f;
    byte += bytes;
  }
  return { text, from: Int32Array.from(from), to: Int32Array.from(to) };
}

function foldChars(s: string): string {
  return s.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
}

/** The text a token stands for: WordPiece's continuation mark and SentencePiece's or byte-level BPE's space mark dropped. */
function bare(token: string): string {
  return foldChars(token.replace(/^##/, '').replace(/^[\u2581\u0120]/, ''));
}

/**
 * The tokens of one text with where each came from, as TEI's /tokenize answers: the tokenizer gives
 * ids and token strings but no offsets (the JS tokenizers do not track them), so each token's text is
 * found in the input, in order, with case and accents folded. A token that cannot be found there
 * (an unknown-word token, a byte-level piece of a multi-byte character) and every special token has
 * start and stop null and its vocabulary string as text, as TEI gives special tokens.
 */
export function tokenSpans(tokenizer: TextTokenizer, input: string, addSpecialTokens: boolean): TokenSpan[] {
  const { ids, tokens } = tokenizer.pieces(input);
  const folded = fold(input);
  const inputBytes = Buffer.from(input, 'utf8');
  let cursor = 0;
  const spans: TokenSpan[] = ids.map((id, i) => {
    const token = tokens[i] ?? tokenizer.tokenOf(id);
    const needle = bare(token);
    const at = needle.length === 0 ? -1 : folded.text.indexOf(needle, cursor);
    if (at < 0) return { id, text: token, special: false, start: null, stop: null };
    cursor = at + needle.length;
    const start = folded.from[at] as number;
    const stop = folded.to[at + needle.length - 1] as number;
    return { id, text: inputBytes.subarray(start, stop).toString('utf8'), special: false, start, stop };
  });
  if (!addSpecialTokens) return spans;
  // The single-text template decides where the special tokens go, as it does for embedding.
  return tokenizer.templates.single.pieces.flatMap((piece) =>
    'special' in piece ? piece.special.map((id) => ({ id, text: tokenizer.tokenOf(id), special: true, start: null, stop: null })) : piece.sequence === 'A' ? spans : [],
  );
}
