import { describe, expect, it } from 'vitest';
import { planBatches } from '../../src/engine/batch-plan.js';

describe('planBatches', () => {
  it('sorts by length and respects the batch size', () => {
    const batches = planBatches([50, 10, 30, 20, 40], { maxBatchSize: 2, maxBatchTokens: 10_000 });
    expect(batches).toEqual([[1, 3], [2, 4], [0]]);
  });

  it('closes a batch before its padded size passes the token budget', () => {
    const lengths = [100, 100, 100, 200, 200];
    const batches = planBatches(lengths, { maxBatchSize: 32, maxBatchTokens: 400 });
    for (const b of batches) {
      const longest = Math.max(...b.map((i) => lengths[i] as number));
      expect(b.length * longest).toBeLessThanOrEqual(400);
    }
    expect(batches.flat().sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives an over-long pair a batch of its own rather than dropping it', () => {
    expect(planBatches([5000, 10], { maxBatchSize: 8, maxBatchTokens: 512 })).toEqual([[1], [0]]);
  });
});
