import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion, type Leg } from '../../src/pipelines/fusion.js';

/** Reciprocal rank fusion as /search uses it (issue 10), alone: ranks in, fused order out. */
describe('reciprocalRankFusion', () => {
  const vector: Leg = { name: 'vector', weight: 1, ids: ['a', 'b', 'c'] };
  const lexical: Leg = { name: 'lexical', weight: 1, ids: ['c', 'd', 'a'] };

  it('sums weight / (k + rank) over the legs a document is in, ranks from 1', () => {
    const fused = reciprocalRankFusion([vector, lexical], 60, 10);
    expect(fused.map((f) => f.id)).toEqual(['a', 'c', 'b', 'd']);
    expect(fused[0]).toEqual({ id: 'a', score: 1 / 61 + 1 / 63, rank: 1 });
    expect(fused[1]).toEqual({ id: 'c', score: 1 / 63 + 1 / 61, rank: 2 });
    expect(fused[2]).toEqual({ id: 'b', score: 1 / 62, rank: 3 });
    expect(fused[3]).toEqual({ id: 'd', score: 1 / 62, rank: 4 });
  });

  it('breaks equal scores by id, so the order does not depend on the legs\' order', () => {
    const ab = reciprocalRankFusion([vector, lexical], 60, 10);
    const ba = reciprocalRankFusion([lexical, vector], 60, 10);
    expect(ba.map((f) => f.id)).toEqual(ab.map((f) => f.id));
    // a and c tie exactly (1/61 + 1/63 either way): a first, by id.
    expect(ab[0]?.score).toBe(ab[1]?.score);
  });

  it('weights a leg: a weight of 0 leaves only its documents\' presence, not their order', () => {
    const fused = reciprocalRankFusion([{ ...vector, weight: 2 }, { ...lexical, weight: 0 }], 60, 10);
    expect(fused.map((f) => f.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(fused.map((f) => f.score)).toEqual([2 / 61, 2 / 62, 2 / 63, 0]);
  });

  it('a small k lets the top ranks dominate; a large one flattens them', () => {
    const legs: Leg[] = [
      { name: 'vector', weight: 1, ids: ['top', 'x', 'y', 'both'] },
      { name: 'lexical', weight: 1, ids: ['z', 'w', 'v', 'both'] },
    ];
    expect(reciprocalRankFusion(legs, 1, 1)[0]?.id).toBe('top');
    expect(reciprocalRankFusion(legs, 1000, 1)[0]?.id).toBe('both');
  });

  it('keeps the top `limit`, and an empty leg or no legs fuse to what is left', () => {
    expect(reciprocalRankFusion([vector, lexical], 60, 2).map((f) => f.rank)).toEqual([1, 2]);
    expect(reciprocalRankFusion([vector, { name: 'lexical', weight: 1, ids: [] }], 60, 10).map((f) => f.id)).toEqual(['a', 'b', 'c']);
    expect(reciprocalRankFusion([], 60, 10)).toEqual([]);
  });
});
