/** Which end of a text loses tokens when it is cut. */
export type TruncationDirection = 'right' | 'left';

/**
 * Hugging Face tokenizers' `longest_first` rule for pairs, as the release sentence-transformers runs
 * today (tokenizers 0.23.2) applies it. With budget B for the two texts (max length less the
 * template's special tokens), shorter side s and longer side l (the first text counts as shorter on
 * a tie):
 * - if s + l fits, nothing changes;
 * - if s <= B - s, only the longer side is cut, to B - s;
 * - otherwise the shorter keeps floor(B/2) and the longer ceil(B/2) (the crate's documented rule),
 *   except that when even the shorter text is at least the whole max length long, the first text
 *   keeps floor(B/2) and the second ceil(B/2) whichever is longer. That last case is the release's
 *   behaviour measured on 1,804 length pairs (test/fixtures/hf/truncation-grid.json), not the rule
 *   in the crate's comments or unit-test table, which have no such case.
 */
export function longestFirstLengths(first: number, second: number, budget: number, maxLength = budget): [number, number] {
  if (first + second <= budget) return [first, second];
  const half = Math.floor(budget / 2);
  if (Math.min(first, second) >= maxLength) return [half, budget - half];
  const swap = first > second;
  const s = swap ? second : first;
  const [keepShort, keepLong] = s <= budget - s ? [s, budget - s] : [half, budget - half];
  return swap ? [keepLong, keepShort] : [keepShort, keepLong];
}

/** Keeps `keep` tokens, dropping from the end (right) or the start (left). */
export function cut<T extends { length: number; slice(start?: number, end?: number): T }>(tokens: T, keep: number, direction: TruncationDirection): T {
  if (tokens.length <= keep) return tokens;
  return direction === 'right' ? tokens.slice(0, keep) : tokens.slice(tokens.length - keep);
}
