import { Type, type Static } from 'typebox';
import { MAX_EF_SEARCH } from '../../store/index.js';
import { CollectionName } from '../collections/schemas.js';
import { MAX_INSTRUCTION_CHARS } from '../rerank/schemas.js';

/** Candidates one search may fuse and rerank at most (the store's own k limit). */
export const MAX_CANDIDATES = 1000;

/** Stages one search may chain. */
export const MAX_RERANK_STAGES = 4;

export const RerankStageRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256, description: 'A loaded reranker, by served name or the part after its owner (GET /v1/models lists them).' }),
    top_n: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CANDIDATES, description: "Candidates this stage passes on to the next (default all). The last stage keeps the request's top_n." })),
    instruction: Type.Optional(Type.String({ maxLength: MAX_INSTRUCTION_CHARS, description: "A decoder reranker's instruction for this stage (as on /rerank); cross-encoders ignore it." })),
    when: Type.Optional(
      Type.Object(
        {
          min_query_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: "Run only when the query has at least this many tokens (this stage's tokenizer)." })),
          max_margin: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "Run only when the previous stage is unsure: its best two scores, as probabilities, are at most this far apart. Not on the first stage." })),
        },
        { additionalProperties: false, description: 'Run the stage only when every rule given holds; a stage that does not run costs no inference and says why in stages[].' },
      ),
    ),
  },
  { title: 'RerankStage', additionalProperties: false },
);
export type RerankStageRequest = Static<typeof RerankStageRequest>;

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
    rerank: Type.Optional(
      Type.Union([Type.Boolean(), Type.Array(RerankStageRequest, { minItems: 1, maxItems: MAX_RERANK_STAGES })], {
        description: 'false returns the first stage alone; true (default) reranks with the server\'s cascade (--search-cascade), else the default reranker; a list of stages is a cascade: each stage reranks what the one before kept.',
      }),
    ),
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
  rerank: Type.Optional(Type.Number({ description: 'The last rerank stage that ran.' })),
  stages: Type.Optional(Type.Array(Type.Union([Type.Number(), Type.Null()]), { description: 'Each rerank stage\'s score, in stage order; null where the stage did not run.' })),
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
        ranks: Type.Object({
          vector: Type.Optional(Type.Integer()),
          lexical: Type.Optional(Type.Integer()),
          fused: Type.Optional(Type.Integer()),
          stages: Type.Optional(Type.Array(Type.Union([Type.Integer(), Type.Null()]), { description: "Each rerank stage's rank (1 = best among what the stage was given); null where it did not run." })),
        }),
      }),
      { description: 'By relevance_score descending, ties by first-stage rank. A leg a document did not appear in is left out of its scores and ranks.' },
    ),
    stages: Type.Optional(
      Type.Array(
        Type.Object({
          model: Type.String(),
          ran: Type.Boolean(),
          skipped: Type.Optional(Type.String({ description: 'Why its gate kept it from running.' })),
          candidates: Type.Integer({ description: 'Candidates the stage was given.' }),
        }),
        { description: 'What each rerank stage did, in order (absent when rerank is false).' },
      ),
    ),
    usage: Type.Object({
      embedding_tokens: Type.Integer(),
      rerank_tokens: Type.Integer(),
      cached_pairs: Type.Integer(),
      candidates: Type.Integer(),
      lexical_scored: Type.Integer({ description: "Rows (chunks) the lexical leg scored: BM25's pruning scores the rows of a query's rarest terms and proves the rest cannot reach the top; 0 for an attached table, whose ts_rank_cd leg scores every match and does not count them." }),
    }),
  },
  { title: 'SearchResponse' },
);
export type SearchResponse = Static<typeof SearchResponse>;
