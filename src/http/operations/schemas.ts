import { Type, type Static } from 'typebox';

export const HealthResponse = Type.Object(
  { status: Type.Union([Type.Literal('ok'), Type.Literal('loading'), Type.Literal('draining'), Type.Literal('failed')]) },
  { title: 'HealthResponse' },
);
export type HealthResponse = Static<typeof HealthResponse>;

/** One loaded model as GET /v1/models (OpenAI's list shape, as vLLM and Infinity serve it) and /info list it. */
export const ModelCard = Type.Object(
  {
    id: Type.String({ description: 'Its served name: what a request\'s `model` picks it by (the part after the owner works too).' }),
    object: Type.Literal('model'),
    created: Type.Integer({ description: 'When this process loaded it (Unix seconds).' }),
    owned_by: Type.String(),
    role: Type.Union([Type.Literal('reranker'), Type.Literal('embedder')]),
    kind: Type.String({ description: 'cross-encoder, decoder-reranker or embedder.' }),
    default: Type.Boolean({ description: 'The model of its role that requests naming no loaded model get.' }),
    precision: Type.String({ description: 'fp32, int8 or fp16: what the graph computes in.' }),
    max_input_length: Type.Integer({ description: 'Tokens per pair (or text), special tokens included.' }),
    memory_bytes_per_worker: Type.Integer({ description: 'Estimated memory of its session in one inference worker (every worker holds one session of every model).' }),
    max_batch_tokens: Type.Integer(),
    max_batch_size: Type.Integer(),
  },
  { title: 'ModelCard' },
);

export const ModelList = Type.Object({ object: Type.Literal('list'), data: Type.Array(ModelCard) }, { title: 'ModelList' });

export const InfoResponse = Type.Object(
  {
    model_id: Type.String({ description: 'The reranker as responses name it.' }),
    onnx_file: Type.String({ description: 'The ONNX file, relative to the model folder (no host paths are shown).' }),
    model_type: Type.Object({ reranker: Type.Object({ id2label: Type.Record(Type.String(), Type.String()) }) }),
    num_labels: Type.Integer(),
    prompt: Type.Optional(
      Type.Object(
        {
          template: Type.String(),
          architectures: Type.Array(Type.String()),
          instruction: Type.Union([Type.String(), Type.Null()], { description: 'The instruction used when a request sends none; null when the template has no default.' }),
        },
        { description: 'Only for a decoder (LLM) reranker: its prompt template (see README, LLM rerankers).' },
      ),
    ),
    max_input_length: Type.Integer({ description: 'Tokens per pair, special tokens included.' }),
    max_client_batch_size: Type.Integer({ description: 'Documents per request.' }),
    max_batch_tokens: Type.Integer(),
    max_batch_size: Type.Integer(),
    max_body_bytes: Type.Integer(),
    max_document_chars: Type.Integer(),
    auto_truncate: Type.Boolean(),
    embedding_model: Type.Union(
      [
        Type.Object({
          model_id: Type.String(),
          onnx_file: Type.String(),
          dimensions: Type.Integer(),
          max_input_length: Type.Integer({ description: 'Tokens per text, special tokens included.' }),
          pooling: Type.Array(Type.String(), { description: 'sentence-transformers pooling modes, concatenated in this order.' }),
          normalize: Type.Boolean(),
        }),
        Type.Null(),
      ],
      { description: 'The embedding model behind /v1/embeddings, /embed and /search; null when none is loaded.' },
    ),
    models: Type.Array(ModelCard, { description: 'Every loaded model, rerankers first (the default first), as GET /v1/models lists them.' }),
    version: Type.String(),
  },
  { title: 'InfoResponse' },
);
export type InfoResponse = Static<typeof InfoResponse>;
