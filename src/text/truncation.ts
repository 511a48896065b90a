/** Which end of a text loses tokens when it is cut. */
export type TruncationDirection = 'right' | 'left';

/**
 * Hugging Face tokenizers' `longest_first` rule for pairs, which sentence-transformers' CrossEncoder
 * relies on. With budget B for the two texts, shorter side s and longer side l (the query counts as
 * shorter on a tie): if s + l fits nothing changes; if s <= B - s only the longer side is cut, to B - s;
 * otherwise the shorter keeps floor(B/2) and the longer ceil(B/2).
 */
export function longestFirstLengths(queryLen: number, docLen: number, budget: number): [number, number] {
  if (queryLen + docLen <= budget) return [queryLen, docLen];
  const swap = queryLen > docLen;
  const s = swap ? docLen : queryLen;
  let keepShort: number;
  let keepLong: number;
  if (s <= budget - s) {
    keepShort = s;
    keepLong = budget - s;
  } else {
    keepShort = Math.floor(budget / 2);
    keepLong = keepShort + (budget % 2);
  }
  return swap ? [keepLong, keepShort] : [keepShort, keepLong];
}

/** Keeps `keep` tokens, dropping from the end (right) or the start (left). */
export function cut<T extends { length: number; slice(start?: number, end?: number): T }>(tokens: T, keep: number, direction: TruncationDirection): T {
  if (tokens.length <= keep) return tokens;
  return direction === 'right' ? tokens.slice(0, keep) : tokens.slice(tokens.length - keep);
}
