import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

export interface RankedResult {
  index: number;
  relevance_score: number;
}

/** Each document's score in request order, from results ordered by relevance. */
export function scoresByIndex(results: readonly RankedResult[]): number[] {
  const out: number[] = [];
  for (const r of results) out[r.index] = r.relevance_score;
  return out;
}

/** POSTs a rerank request that must answer 200 and gives its scores in request order. */
export async function rerankScores(app: FastifyInstance, payload: Record<string, unknown>, url = '/v2/rerank'): Promise<number[]> {
  const res = await app.inject({ method: 'POST', url, payload });
  expect(res.statusCode, res.body).toBe(200);
  return scoresByIndex(res.json<{ results: RankedResult[] }>().results);
}
