import { describe, expect, it } from 'vitest';
import { averageRanks, kendallTauB, spearman, topK, topKOverlap } from '../../../src/tools/quantize/rank-agreement.js';
import { generateWorkload, wordsFromVocab } from '../../../src/tools/quantize/synthetic-workload.js';

describe('rank agreement', () => {
  it('averages tied ranks', () => {
    expect(Array.from(averageRanks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
  });

  it('scores identical, reversed and monotone-transformed orders', () => {
    const a = [0.1, 0.9, 0.3, 0.7, 0.5];
    expect(spearman(a, a)).toBeCloseTo(1, 12);
    expect(spearman(a, a.map((x) => -x))).toBeCloseTo(-1, 12);
    expect(spearman(a, a.map((x) => Math.exp(5 * x)))).toBeCloseTo(1, 12);
    expect(kendallTauB(a, a.map((x) => x * 3 + 1))).toBe(1);
    expect(kendallTauB(a, a.map((x) => -x))).toBe(-1);
  });

  it('matches hand-computed values for one swap', () => {
    // One discordant pair out of 10: tau = (9 - 1) / 10; rho = 1 - 6 * 2 / (5 * 24).
    expect(kendallTauB([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])).toBeCloseTo(0.8, 12);
    expect(spearman([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])).toBeCloseTo(0.9, 12);
  });

  it('uses tau-b for ties', () => {
    // C=2 (pairs 0-2, 1-2), D=0, one pair tied in a only: 2 / sqrt(2 * 3).
    expect(kendallTauB([1, 1, 2], [1, 2, 3])).toBeCloseTo(2 / Math.sqrt(6), 12);
  });

  it('takes the top k by score, ties by index, and measures their overlap', () => {
    expect(topK([0.2, 0.9, 0.9, 0.1], 2)).toEqual([1, 2]);
    expect(topKOverlap([4, 3, 2, 1], [4, 1, 2, 3], 2)).toBe(0.5);
  });
});

describe('synthetic workload', () => {
  const words = wordsFromVocab(['[PAD]', '##ing', '\u2581the', 'Ġof', ...Array.from({ length: 200 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`)]);

  it('keeps whole lowercase words and strips word-start markers', () => {
    expect(words.slice(0, 2)).toEqual(['the', 'of']);
    expect(words).not.toContain('##ing');
  });

  it('is seeded and shaped like MS MARCO', () => {
    const a = generateWorkload(words, { queries: 20, docsPerQuery: 100, seed: 7 });
    expect(generateWorkload(words, { queries: 20, docsPerQuery: 100, seed: 7 })).toEqual(a);
    const queryLengths = a.map((q) => q.query.split(' ').length);
    expect(Math.min(...queryLengths)).toBeGreaterThanOrEqual(3);
    expect(Math.max(...queryLengths)).toBeLessThanOrEqual(12);
    const docLengths = a.flatMap((q) => q.documents.map((d) => d.split(' ').length)).sort((x, y) => x - y);
    const median = docLengths[docLengths.length >> 1] as number;
    expect(median).toBeGreaterThan(48);
    expect(median).toBeLessThan(62);
  });
});
