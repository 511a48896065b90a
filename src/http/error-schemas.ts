import { Type, type Static } from 'typebox';

/** The error bodies every family's routes declare; error-reply.ts writes them. */

export const ErrorBody = Type.Object(
  {
    error: Type.Object({ code: Type.String({ description: 'Stable error code.' }), message: Type.String() }),
    message: Type.String({ description: 'Same as error.message (Cohere-style clients read it).' }),
    detail: Type.String({ description: 'Same as error.message (Jina-style clients read it).' }),
  },
  { title: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;

export const TeiErrorBody = Type.Object(
  { error: Type.String(), error_type: Type.String({ description: 'Validation, Empty, Overloaded, Backend, Tokenizer or Unhealthy.' }) },
  { title: 'TeiErrorBody' },
);
export type TeiErrorBody = Static<typeof TeiErrorBody>;

export const AnyErrorBody = Type.Union([ErrorBody, TeiErrorBody]);
