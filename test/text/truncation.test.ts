import { describe, expect, it } from 'vitest';
import { cut, longestFirstLengths } from '../../src/text/truncation.js';

describe('longest_first pair truncation', () => {
  it('leaves pairs that fit alone', () => {
    expect(longestFirstLengths(10, 20, 30)).toEqual([10, 20]);
    expect(longestFirstLengths(0, 0, 30)).toEqual([0, 0]);
  });

  it('cuts only the longer side when the shorter fits in half the budget', () => {
    expect(longestFirstLengths(10, 600, 509)).toEqual([10, 499]);
    expect(longestFirstLengths(600, 10, 509)).toEqual([499, 10]);
    expect(longestFirstLengths(254, 300, 509)).toEqual([254, 255]);
  });

  it('splits the budget when both sides are long, the longer side getting the odd token', () => {
    expect(longestFirstLengths(400, 600, 509)).toEqual([254, 255]);
    expect(longestFirstLengths(600, 400, 509)).toEqual([255, 254]);
    expect(longestFirstLengths(400, 600, 510)).toEqual([255, 255]);
  });

  it('treats the query as the shorter side on a tie', () => {
    expect(longestFirstLengths(300, 300, 509)).toEqual([254, 255]);
  });

  it('agrees with the Rust tokenizers on every length pair of their own table (budget 7)', () => {
    const cases: [number, number, number, number][] = [
      [0, 0, 0, 0], [0, 2, 0, 2], [0, 4, 0, 4], [0, 8, 0, 7],
      [2, 0, 2, 0], [2, 2, 2, 2], [2, 4, 2, 4], [2, 8, 2, 5],
      [4, 0, 4, 0], [4, 2, 4, 2], [4, 4, 3, 4], [4, 8, 3, 4],
      [8, 0, 7, 0], [8, 2, 5, 2], [8, 4, 4, 3], [8, 8, 3, 4],
    ];
    for (const [q, d, kq, kd] of cases) expect(longestFirstLengths(q, d, 7), `${q},${d}`).toEqual([kq, kd]);
  });

  it('never exceeds the budget', () => {
    for (let q = 0; q < 40; q += 3) {
      for (let d = 0; d < 40; d += 5) {
        const [kq, kd] = longestFirstLengths(q, d, 17);
        expect(kq + kd).toBeLessThanOrEqual(Math.max(17, 0));
        expect(kq).toBeLessThanOrEqual(q);
        expect(kd).toBeLessThanOrEqual(d);
        if (q + d <= 17) expect([kq, kd]).toEqual([q, d]);
        else expect(kq + kd).toBe(17);
      }
    }
  });
});

describe('cut', () => {
  it('drops tokens from the right by default and from the left when asked', () => {
    expect(cut([1, 2, 3, 4, 5], 3, 'right')).toEqual([1, 2, 3]);
    expect(cut([1, 2, 3, 4, 5], 3, 'left')).toEqual([3, 4, 5]);
    expect(cut([1, 2], 3, 'left')).toEqual([1, 2]);
  });
});
