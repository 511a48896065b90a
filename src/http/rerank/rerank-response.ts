import { randomUUID } from 'node:crypto';
import { sigmoid } from '../../runtime/heads/activation.js';
import type { RerankResponse, TeiRerankResponse } from './schemas.js';

/** Indices by score descending, ties by index ascending: the order every API shape promises. */
export function rankIndices(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

/** What a client sees as the score: the probability, or the raw logit when asked. */
export function reportedScores(raw: Float32Array, rawScores: boolean): number[] {
  return Array.from(raw, (r) => (rawScores ? r : sigmoid(r)));
}

export interface CohereShapeInput {
  model: string;
  apiVersion: string;
  /** The documents' echo, by request index. */
  echo: (i: number) => object;
  scores: number[];
  topN: number | undefined;
  returnDocuments: boolean;
  tokens: number;
  cachedPairs: number;
}

export function cohereShape(r: CohereShapeInput): RerankResponse {
  const order = rankIndices(r.scores).slice(0, r.topN ?? r.scores.length);
  const searchUnits = Math.max(1, Math.ceil(r.scores.length / 100));
  return {
    id: randomUUID(),
    model: r.model,
    results: order.map((i) => ({
      index: i,
      relevance_score: r.scores[i] as number,
      ...(r.returnDocuments ? { document: r.echo(i) } : {}),
    })),
    usage: { total_tokens: r.tokens, prompt_tokens: r.tokens, search_units: searchUnits, documents: r.scores.length, cached_pairs: r.cachedPairs },
    meta: { api_version: { version: r.apiVersion }, billed_units: { search_units: searchUnits } },
  };
}

/** `text` is each result's text when the request asked for it (return_text). */
export function teiShape(scores: number[], text: ((i: number) => string) | undefined): TeiRerankResponse {
  return rankIndices(scores).map((i) => ({ index: i, score: scores[i] as number, ...(text === undefined ? {} : { text: text(i) }) }));
}
