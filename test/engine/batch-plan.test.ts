import { describe, expect, it } from 'vitest';
import { BATCH_OVERHEAD_TOKENS, planBatches } from '../../src/engine/batch-plan.js';

function cost(batches: number[][], lengths: number[]): number {
  return batches.reduce((sum, b) => sum + b.length * Math.max(...b.map((i) => lengths[i] as number)) + BATCH_OVERHEAD_TOKENS, 0);
}

/** Every way to cut a sorted run into consecutive batches, for checking the planner on small inputs. */
function bruteForceBest(sorted: number[], maxSize: number, maxTokens: number): number {
  let best = Infinity;
  const walk = (start: number, acc: number): void => {
    if (start === sorted.length) {
      best = Math.min(best, acc);
      return;
    }
    for (let end = start + 1; end <= Math.min(sorted.length, start + maxSize); end++) {
      const size = end - start;
      if (size > 1 && size * (sorted[end - 1] as number) > maxTokens) break;
      walk(end, acc + size * (sorted[end - 1] as number) + BATCH_OVERHEAD_TOKENS);
    }
  };
  walk(0, 0);
  return best;
}

describe('planBatches', () => {
  it('sorts by length and respects the batch size', () => {
    const batches = planBatches([50, 10, 30, 20, 40], { maxBatchSize: 2, maxBatchTokens: 10_000 });
    expect(batches.flat().sort()).toEqual([0, 1, 2, 3, 4]);
    for (const b of batches) expect(b.length).toBeLessThanOrEqual(2);
    expect(batches[0]).toContain(1);
  });

  it('keeps every batch within the padded-token budget', () => {
    const lengths = [100, 100, 100, 200, 200];
    const batches = planBatches(lengths, { maxBatchSize: 32, maxBatchTokens: 400 });
    for (const b of batches) expect(b.length * Math.max(...b.map((i) => lengths[i] as number))).toBeLessThanOrEqual(400);
    expect(batches.flat().sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives an over-long pair a batch of its own rather than dropping it', () => {
    expect(planBatches([5000, 10], { maxBatchSize: 8, maxBatchTokens: 512 })).toEqual([[1], [0]]);
  });

  it('splits a long tail off instead of padding the whole batch to it', () => {
    const lengths = [...Array.from({ length: 15 }, () => 40), 300];
    const batches = planBatches(lengths, { maxBatchSize: 32, maxBatchTokens: 100_000 });
    expect(batches).toEqual([Array.from({ length: 15 }, (_, i) => i), [15]]);
  });

  it('finds the cheapest cut of the sorted run (checked against brute force)', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 40; trial++) {
      const lengths = Array.from({ length: 3 + Math.floor(rand() * 9) }, () => 8 + Math.floor(Math.exp(rand() * 4) * 6));
      const limits = { maxBatchSize: 2 + Math.floor(rand() * 5), maxBatchTokens: 200 + Math.floor(rand() * 800) };
      const sorted = [...lengths].sort((a, b) => a - b);
      expect(cost(planBatches(lengths, limits), lengths)).toBe(bruteForceBest(sorted, limits.maxBatchSize, limits.maxBatchTokens));
    }
  });
});
