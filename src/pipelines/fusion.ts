/** One leg's ranked list: ids best first (rank 1 is the first). */
export interface Leg {
  name: 'vector' | 'lexical';
  weight: number;
  ids: readonly string[];
}

export interface Fused {
  id: string;
  /** Sum over the legs the document appears in of weight / (k + rank). */
  score: number;
  /** 1 for the best fused document. */
  rank: number;
}

/**
 * Reciprocal rank fusion: each document scores the sum, over the legs it appears in, of
 * weight / (k + rank) with ranks from 1; best first, ties by id; the top `limit` are kept.
 * Ranks are all that is fused, so a leg's score scale (cosine vs ts_rank_cd) cannot dominate.
 */
export function reciprocalRankFusion(legs: readonly Leg[], k: number, limit: number): Fused[] {
  const scores = new Map<string, number>();
  for (const leg of legs) {
    leg.ids.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + leg.weight / (k + i + 1)));
  }
  return [...scores.entries()]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([id, score], i) => ({ id, score, rank: i + 1 }));
}
