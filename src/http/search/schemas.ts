import { Type, type Static } from 'typebox';
import { MAX_EF_SEARCH } from '../../store/index.js';
import { CollectionName } from '../collections/schemas.js';

/** Candidates one search may fuse and rerank at most (the store's own k limit). */
export const MAX_CANDIDATES = 1000;

export const SearchRequest = Type.Object(
  {
    collection: CollectionName,
    query: Type.String({ description: 'The question.' }),
    top_n: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CANDIDATES, description: 'Results returned (default 10; at most candidates).' })),
    top_k: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CANDIDATES, description: 'Alias of top_n, as in /rerank.' })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_CANDIDATES, description: 'Results skipped before the top_n, within the candidate window: offset + top_n at most candidates (default 0).' })),
    score_threshold: Type.Optional(Type.Number({ description: 'Leave out results whose relevance_score (the final score) is below this.' })),
    candidates: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CANDIDATES, description: 'First-stage window that is fused and reranked (default 100).' })),
    mode: Type.Optional(Type.Union([Type.Literal('hybrid'), Type.Literal('vector'), Type.Literal('lexical')], { description: 'Which first-stage legs run (default hybrid).' })),
    filter: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Metadata filter applied inside every leg before the window is cut (see the README).' })),
    ef_search: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_EF_SEARCH,
        description: "The vector leg's HNSW candidate list (pgvector's hnsw.ef_search), at least candidates: higher finds more of the exact nearest neighbours and costs more (default twice candidates, at most 1000).",
      }),
    ),
    rrf_k: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000, description: 'Reciprocal rank fusion constant (default 60).' })),
    weights: Type.Optional(
      Type.Object(
        { vector: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })), lexical: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })) },
        { additionalProperties: false, description: 'Per-leg weights in the fusion (default 1 and 1).' },
      ),
    ),
    vector: Type.Optional(Type.Array(Type.Number(), { minItems: 1, maxItems: 16_000, description: 'A ready query embedding (skips the embed stage).' })),
    rerank: Type.Optional(Type.Boolean({ description: 'false returns the first stage alone (default true).' })),
    return_documents: Type.Optional(Type.Boolean({ description: 'Include document: {text, metadata} (default true).' })),
    max_tokens_per_doc: Type.Optional(Type.Integer({ minimum: 1, description: 'As in /rerank.' })),
    raw_scores: Type.Optional(Type.Boolean({ description: 'Rerank scores as raw logits instead of probabilities.' })),
  },
  // Our own API: a misspelt field (topN, retrun_documents) is refused with its name, not ignored.
  { title: 'SearchRequest', additionalProperties: false },
);
export type SearchRequest = Static<typeof SearchRequest>;

const LegNumbers = Type.Object({
  vector: Type.Optional(Type.Number()),
  lexical: Type.Optional(Type.Number()),
  fused: Type.Optional(Type.Number()),
  rerank: Type.Optional(Type.Number()),
});

export const SearchResponse = Type.Object(
  {
    id: Type.String(),
    collection: Type.String(),
    model: Type.Object({ reranker: Type.Union([Type.String(), Type.Null()]), embedder: Type.Union([Type.String(), Type.Null()]) }),
    results: Type.Array(
      Type.Object({
        id: Type.String(),
        relevance_score: Type.Number({ description: 'The rerank score, or the first-stage score when rerank is false.' }),
        document: Type.Optional(Type.Object({ text: Type.String(), metadata: Type.Object({}, { additionalProperties: true }) })),
        scores: LegNumbers,
        ranks: Type.Object({ vector: Type.Optional(Type.Integer()), lexical: Type.Optional(Type.Integer()), fused: Type.Optional(Type.Integer()) }),
      }),
      { description: 'By relevance_score descending, ties by first-stage rank. A leg a document did not appear in is left out of its scores and ranks.' },
    ),
    usage: Type.Object({
      embedding_tokens: Type.Integer(),
      rerank_tokens: Type.Integer(),
      cached_pairs: Type.Integer(),
      candidates: Type.Integer(),
    }),
  },
  { title: 'SearchResponse' },
);
export type SearchResponse = Static<typeof SearchResponse>;
