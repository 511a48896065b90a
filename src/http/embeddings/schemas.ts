import { Type, type Static } from 'typebox';
import { MAX_ITEMS_PER_REQUEST } from '../../config.js';

const Inputs = Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: MAX_ITEMS_PER_REQUEST })], { description: 'One text or a list of texts (at most --max-documents).' });

export const OpenAiEmbeddingsRequest = Type.Object(
  {
    input: Inputs,
    model: Type.Optional(Type.String({ description: 'Accepted as given while one embedding model is served (see --strict-model-name).' })),
    encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')], { description: 'float (default) or base64: little-endian float32 bytes.' })),
    dimensions: Type.Optional(Type.Integer({ minimum: 1, description: 'Keep the first N components and re-normalise (Matryoshka models).' })),
    user: Type.Optional(Type.String({ description: 'Ignored.' })),
  },
  { title: 'OpenAiEmbeddingsRequest', description: "OpenAI's embeddings request." },
);
export type OpenAiEmbeddingsRequest = Static<typeof OpenAiEmbeddingsRequest>;

export const OpenAiEmbeddingsResponse = Type.Object(
  {
    object: Type.Literal('list'),
    data: Type.Array(
      Type.Object({
        object: Type.Literal('embedding'),
        index: Type.Integer(),
        embedding: Type.Union([Type.Array(Type.Number()), Type.String({ description: 'base64 of little-endian float32 bytes' })]),
      }),
    ),
    model: Type.String(),
    usage: Type.Object({
      prompt_tokens: Type.Integer({ description: 'Tokens the model read, special tokens included; cached texts count 0.' }),
      total_tokens: Type.Integer(),
    }),
  },
  { title: 'OpenAiEmbeddingsResponse' },
);
export type OpenAiEmbeddingsResponse = Static<typeof OpenAiEmbeddingsResponse>;

export const TeiEmbedRequest = Type.Object(
  {
    inputs: Inputs,
    normalize: Type.Optional(Type.Boolean({ description: 'L2-normalise each vector (default true).' })),
    truncate: Type.Optional(Type.Boolean({ description: 'Cut over-long texts; when absent, --auto-truncate decides.' })),
    truncation_direction: Type.Optional(Type.Union([Type.Literal('Right'), Type.Literal('Left'), Type.Literal('right'), Type.Literal('left')])),
  },
  { title: 'TeiEmbedRequest', description: "Hugging Face text-embeddings-inference's /embed request." },
);
export type TeiEmbedRequest = Static<typeof TeiEmbedRequest>;

export const TeiEmbedResponse = Type.Array(Type.Array(Type.Number()), { title: 'TeiEmbedResponse', description: 'One vector per input, in order.' });

export const TeiTokenizeRequest = Type.Object(
  {
    inputs: Inputs,
    add_special_tokens: Type.Optional(Type.Boolean({ description: "Add the model's special tokens around each text (default true)." })),
    prompt_name: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Not supported (422 when set): the service applies no prompts.' })),
    model: Type.Optional(Type.String({ description: "The embedder's served name tokenizes with the embedder; otherwise the reranker's tokenizer." })),
  },
  { title: 'TeiTokenizeRequest', description: "Hugging Face text-embeddings-inference's /tokenize request." },
);

const TokenSpan = Type.Object({
  id: Type.Integer(),
  text: Type.String({ description: 'The input bytes start..stop; a special token, or one not found in the input, its vocabulary string.' }),
  special: Type.Boolean(),
  start: Type.Union([Type.Integer(), Type.Null()], { description: 'UTF-8 byte offset of the token in its input; null for special tokens.' }),
  stop: Type.Union([Type.Integer(), Type.Null()]),
});
export const TeiTokenizeResponse = Type.Array(Type.Array(TokenSpan), { title: 'TeiTokenizeResponse', description: 'One token list per input, in order.' });
