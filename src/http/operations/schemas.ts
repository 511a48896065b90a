import { Type, type Static } from 'typebox';

export const HealthResponse = Type.Object(
  { status: Type.Union([Type.Literal('ok'), Type.Literal('loading'), Type.Literal('draining'), Type.Literal('failed')]) },
  { title: 'HealthResponse' },
);
export type HealthResponse = Static<typeof HealthResponse>;

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
    version: Type.String(),
  },
  { title: 'InfoResponse' },
);
export type InfoResponse = Static<typeof InfoResponse>;
