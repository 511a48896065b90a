import type { TextTokenizer } from './tokenizer.js';
import type { TruncationDirection } from './truncation.js';

/**
 * The text of the first (right) or last (left) `n` tokens of `text` under a byte-level BPE
 * tokenizer (GPT-2's, Qwen's): where the tokenizers library's offsets would put the cut. A byte-level
 * token's string has one character per byte of the (NFC-normalized) text, an added token's is its
 * literal content, so summing them finds the byte where the n-th token ends; a token that ends
 * inside a multi-byte character takes the whole character, as the library's offsets do.
 */
export function textOfTokens(tokenizer: TextTokenizer, text: string, n: number, direction: TruncationDirection): string {
  const normalized = text.normalize('NFC');
  const { ids, tokens } = tokenizer.pieces(normalized);
  if (ids.length <= n) return normalized;
  const bytes = Buffer.from(normalized, 'utf8');
  const width = (i: number): number => {
    const token = tokens[i] ?? '';
    return tokenizer.isAddedToken(ids[i] as number) ? Buffer.byteLength(token) : token.length;
  };
  const continuation = (at: number): boolean => at < bytes.length && ((bytes[at] as number) & 0xc0) === 0x80;
  let at = 0;
  if (direction === 'right') {
    for (let i = 0; i < n; i++) at += width(i);
    while (continuation(at)) at++;
    return bytes.subarray(0, at).toString('utf8');
  }
  for (let i = 0; i < ids.length - n; i++) at += width(i);
  while (at > 0 && continuation(at)) at--;
  return bytes.subarray(at).toString('utf8');
}
