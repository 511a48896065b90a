import type { TruncationDirection } from './truncation.js';

/**
 * Characters per token assumed for the first window. English averages 4 to 5 characters per
 * WordPiece or SentencePiece token; 8 leaves room for long words and whitespace, and a window
 * that still falls short is only grown, never trusted.
 */
const CHARS_PER_TOKEN = 8;
const MIN_WINDOW = 256;

/** Space, tab, newline, carriage return: a pre-token boundary in every tokenizer we load. */
function isBreak(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/**
 * Where a text may be cut so that its pieces tokenize as parts of the whole. 'whitespace': at any
 * space, tab or newline (WordPiece and SentencePiece split there and no normaliser joins across).
 * 'byte-level': GPT-2-style regexes attach a space to the word after it and newlines to the
 * punctuation before them, so only a space or tab between two non-whitespace characters is a
 * boundary, and a tail keeps that space.
 */
export type CutRule = 'whitespace' | 'byte-level';

const WHITESPACE = /\s/u;

function isSpace(code: number): boolean {
  return code === 32 || code === 9;
}

function cuttable(text: string, i: number, rule: CutRule): boolean {
  if (rule === 'whitespace') return isBreak(text.charCodeAt(i));
  return isSpace(text.charCodeAt(i)) && i > 0 && i + 1 < text.length && !WHITESPACE.test(text.charAt(i - 1)) && !WHITESPACE.test(text.charAt(i + 1));
}

/** The longest head of `text` that ends just before a boundary inside the last half of `window` characters. */
function head(text: string, window: number, rule: CutRule): string | undefined {
  for (let i = window; i > window / 2; i--) if (cuttable(text, i, rule)) return text.slice(0, i);
  return undefined;
}

/** The longest tail of `text` that starts at a boundary inside the first half of its last `window` characters. */
function tail(text: string, window: number, rule: CutRule): string | undefined {
  const start = text.length - window;
  for (let i = start; i < start + window / 2; i++) if (cuttable(text, i, rule)) return text.slice(rule === 'byte-level' ? i : i + 1);
  return undefined;
}

/**
 * Token ids of `text` as `encode` gives them, without tokenizing more of a long text than can matter.
 *
 * Only the first (right truncation) or last (left truncation) `need` tokens of a long text can reach
 * the model, and truncation only asks whether a text has at least that many. Cut at ASCII
 * whitespace, which every supported pre-tokenizer splits on and no normaliser joins across, a
 * text's head tokenizes to a prefix of its full tokenization (its tail to a suffix). So a head that
 * already yields `need` tokens gives the same truncated result as the whole text; one that does
 * not is grown until it does or the whole text is read. A 100,000-character document then costs
 * about what its first 4,000 characters cost (TEI pre-cuts too, by a fixed character count).
 *
 * The result is the full tokenization when the text is short, else a prefix (right) or suffix
 * (left) of it with at least `need` ids.
 */
export function encodeBounded(text: string, need: number, direction: TruncationDirection, encode: (text: string) => number[], rule: CutRule = 'whitespace'): number[] {
  for (let window = Math.max(MIN_WINDOW, need * CHARS_PER_TOKEN); window < text.length; window *= 4) {
    const piece = direction === 'right' ? head(text, window, rule) : tail(text, window, rule);
    if (piece === undefined) continue;
    const ids = encode(piece);
    if (ids.length >= need) return ids;
  }
  return encode(text);
}
