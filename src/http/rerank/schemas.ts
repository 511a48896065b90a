import { Type, type Static } from 'typebox';
import { MAX_ITEMS_PER_REQUEST } from '../../config.js';

/** Fields one request may rank on; each is read once per document, so duplicates are refused too. */
export const MAX_RANK_FIELDS = 100;
/** An instruction is a sentence or two; a long one would only crowd the document out of the prompt. */
export const MAX_INSTRUCTION_CHARS = 4096;

/**
 * The API contract. Validation, TypeScript types and openapi.yaml all come from these schemas.
 * Unknown request fields are ignored (hosted APIs' clients send extras such as max_chunks_per_doc).
 */

const Document = Type.Union([
  Type.String(),
  Type.Object({}, { additionalProperties: true, description: 'An object ranked on its `text` field, or on the fields named by rank_fields.' }),
]);

export const RerankRequest = Type.Object(
  {
    query: Type.String({ description: 'The search query.' }),
    documents: Type.Array(Document, { maxItems: MAX_ITEMS_PER_REQUEST, description: 'Candidates to rank: strings, or objects (see rank_fields). At most --max-documents.' }),
    top_n: Type.Optional(Type.Integer({ minimum: 1, description: 'Return only the best top_n results (default: all).' })),
    top_k: Type.Optional(Type.Integer({ minimum: 1, description: 'Alias of top_n.' })),
    return_documents: Type.Optional(Type.Boolean({ description: 'Echo each document in its result. Default true on /rerank and /v1/rerank, false on /v2/rerank.' })),
    rank_fields: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: MAX_RANK_FIELDS,
        uniqueItems: true,
        description: "For object documents: rank on these fields (the document's own, never inherited ones), joined as `field: value` lines.",
      }),
    ),
    max_tokens_per_doc: Type.Optional(Type.Integer({ minimum: 1, description: 'Truncate each document to this many tokens before pairing.' })),
    model: Type.Optional(Type.String({ description: 'Accepted as given while one model is served (see --strict-model-name).' })),
    raw_scores: Type.Optional(Type.Boolean({ description: 'Report the raw model score (logit) instead of a probability.' })),
    instruction: Type.Optional(Type.String({ maxLength: MAX_INSTRUCTION_CHARS, description: "Our extension: the task instruction of a decoder reranker's prompt (Qwen3-Reranker's `<Instruct>`); default --reranker-instruction, else the model card's. Cross-encoders ignore it." })),
    truncation_direction: Type.Optional(Type.Union([Type.Literal('right'), Type.Literal('left'), Type.Literal('Right'), Type.Literal('Left')])),
  },
  { title: 'RerankRequest', description: 'Cohere (v1, v2) and Jina rerank request.' },
);
export type RerankRequest = Static<typeof RerankRequest>;

export const TeiRerankRequest = Type.Object(
  {
    query: Type.String(),
    texts: Type.Array(Type.String(), { maxItems: MAX_ITEMS_PER_REQUEST, description: 'At most --max-documents.' }),
    raw_scores: Type.Optional(Type.Boolean({ description: 'Report raw logits instead of probabilities (default false).' })),
    return_text: Type.Optional(Type.Boolean({ description: 'Echo each text in its result (default false).' })),
    truncate: Type.Optional(Type.Boolean({ description: 'Truncate over-long pairs; when absent, --auto-truncate decides.' })),
    instruction: Type.Optional(Type.String({ maxLength: MAX_INSTRUCTION_CHARS, description: "Our extension: the task instruction of a decoder reranker's prompt (Qwen3-Reranker's `<Instruct>`); default --reranker-instruction, else the model card's. Cross-encoders ignore it." })),
    truncation_direction: Type.Optional(Type.Union([Type.Literal('Right'), Type.Literal('Left'), Type.Literal('right'), Type.Literal('left')])),
  },
  { title: 'TeiRerankRequest', description: 'Hugging Face text-embeddings-inference rerank request (chosen when the body has `texts`).' },
);
export type TeiRerankRequest = Static<typeof TeiRerankRequest>;

export const RerankBody = Type.Union([RerankRequest, TeiRerankRequest]);

export const RerankResult = Type.Object({
  index: Type.Integer({ description: 'Position of the document in the request.' }),
  relevance_score: Type.Number(),
  document: Type.Optional(Type.Object({}, { additionalProperties: true, description: '`{text}` for string input, the original object for object input.' })),
});

export const RerankResponse = Type.Object(
  {
    id: Type.String(),
    model: Type.String(),
    results: Type.Array(RerankResult, { description: 'By relevance_score descending, ties by index ascending.' }),
    usage: Type.Object({
      total_tokens: Type.Integer({ description: 'Tokens the model read, special tokens included.' }),
      prompt_tokens: Type.Integer(),
      search_units: Type.Integer(),
      documents: Type.Integer(),
      cached_pairs: Type.Integer({ description: 'Documents whose score came from the pair cache; their tokens are not in total_tokens (see Cache-Control in the README).' }),
    }),
    meta: Type.Object({
      api_version: Type.Object({ version: Type.String() }),
      billed_units: Type.Object({ search_units: Type.Integer() }),
    }),
  },
  { title: 'RerankResponse' },
);
export type RerankResponse = Static<typeof RerankResponse>;

export const TeiRerankResponse = Type.Array(
  Type.Object({ index: Type.Integer(), score: Type.Number(), text: Type.Optional(Type.String()) }),
  { title: 'TeiRerankResponse' },
);
export type TeiRerankResponse = Static<typeof TeiRerankResponse>;

/**
 * /rerank serves both request shapes: a body is TEI's when it carries `texts` (and no `documents`).
 * Here, beside the schemas, because the route and its error handler both ask.
 */
export function isTeiBody(body: unknown): body is TeiRerankRequest {
  return typeof body === 'object' && body !== null && 'texts' in body && !('documents' in body);
}
