import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { longestFirstLengths } from '../../src/text/truncation.js';

/** Kept lengths under longest_first, measured on the released Rust tokenizers (0.23.2) by test/fixtures/hf/. */
interface Grid {
  tokenizers: string;
  columns: string[];
  rows: [maxLength: number, first: number, second: number, keptFirst: number, keptSecond: number][];
}
const grid = (file: string): Grid => JSON.parse(readFileSync(new URL(`../fixtures/hf/${file}`, import.meta.url), 'utf8')) as Grid;
const TEMPLATES = [
  { name: 'BERT ([CLS] A [SEP] B [SEP], 3 special tokens)', grid: grid('truncation-grid.json'), specials: 3 },
  { name: 'XLM-R (<s> A </s></s> B </s>, 4 special tokens)', grid: grid('truncation-grid-xlmr.json'), specials: 4 },
];

describe('longest_first equals the tokenizers release on every measured length pair (issue 13)', () => {
  for (const { name, grid: g, specials } of TEMPLATES) {
    it(`${name}: ${g.rows.length} rows`, () => {
      expect(g.tokenizers).toBe('0.23.2');
      expect(g.columns).toEqual(['max_length', 'first', 'second', 'kept_first', 'kept_second']);
      const wrong = g.rows.filter(([max, first, second, keptFirst, keptSecond]) => {
        const [a, b] = longestFirstLengths(first, second, max - specials, max);
        return a !== keptFirst || b !== keptSecond;
      });
      expect(wrong).toEqual([]);
      // The case the crate's documented rule gets wrong is in the table: both texts at least max_length long.
      expect(g.rows.some(([max, first, second]) => first >= max && second >= max && first > second)).toBe(true);
    });
  }

  it('the cases named in the issue (BERT budget: max length less 3)', () => {
    const cases: [max: number, first: number, second: number, kept: [number, number]][] = [
      [512, 913, 729, [254, 255]],
      [512, 729, 913, [254, 255]],
      [512, 913, 300, [255, 254]],
      [10, 8, 4, [4, 3]],
      [11, 8, 2, [6, 2]],
    ];
    const bert = TEMPLATES[0]?.grid.rows ?? [];
    for (const [max, first, second, kept] of cases) {
      expect(longestFirstLengths(first, second, max - 3, max), `${max} ${first} ${second}`).toEqual(kept);
      expect(bert.find(([m, f, s]) => m === max && f === first && s === second)?.slice(3), `${max} ${first} ${second} in the grid`).toEqual(kept);
    }
  });
});
