import { Type, type Static } from 'typebox';
import { DocumentId, StoredDocumentResponse } from './schemas.js';

/** Documents one scroll page may hold. */
export const MAX_SCROLL_LIMIT = 1000;
/** Ids one read may name. */
export const MAX_GET_IDS = 1000;

const Filter = Type.Object({}, { additionalProperties: true, description: 'A metadata filter, as /search takes it (see the README).' });

export const ScrollQuery = Type.Object(
  {
    // A query string holds text, and the app coerces no types: the route reads the number.
    limit: Type.Optional(Type.String({ maxLength: 12, description: `Documents per page, 1 to ${MAX_SCROLL_LIMIT} (default 100).` })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: "The previous page's next_cursor." })),
    filter: Type.Optional(Type.String({ maxLength: 65_536, description: 'A metadata filter as JSON (URL-encoded), as /search takes it.' })),
  },
  { additionalProperties: false },
);

export const ScrollResponse = Type.Object(
  {
    documents: Type.Array(StoredDocumentResponse, { description: 'By id.' }),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as cursor for the next page; null after the last one.' }),
  },
  { title: 'DocumentPage' },
);

export const GetDocumentsRequest = Type.Object({ ids: Type.Array(DocumentId, { minItems: 1, maxItems: MAX_GET_IDS }) }, { title: 'GetDocumentsRequest', additionalProperties: false });
export const GetDocumentsResponse = Type.Object(
  {
    documents: Type.Array(StoredDocumentResponse, { description: 'The ids found, in the order asked (an id asked twice comes once).' }),
    missing: Type.Array(Type.String(), { description: 'The ids asked for that the collection does not have.' }),
  },
  { title: 'DocumentList' },
);

export const CountRequest = Type.Object({ filter: Type.Optional(Filter) }, { title: 'CountRequest', additionalProperties: false });
export const CountResponse = Type.Object({ count: Type.Integer() }, { title: 'Count' });

export const DeleteByFilterRequest = Type.Object(
  { filter: Type.Object({}, { additionalProperties: true, minProperties: 1, description: 'Which documents to delete; at least one condition (drop the collection to delete them all).' }) },
  { title: 'DeleteByFilterRequest', additionalProperties: false },
);

export const PatchDocumentRequest = Type.Object(
  {
    metadata: Type.Record(Type.String(), Type.Unknown(), { description: 'The keys to set (merge) or the whole metadata (replace).' }),
    mode: Type.Optional(Type.Union([Type.Literal('merge'), Type.Literal('replace')], { description: 'merge (default) sets the keys given and keeps the others; replace sets exactly these.' })),
  },
  { title: 'PatchDocumentRequest', additionalProperties: false },
);
export type PatchDocumentRequest = Static<typeof PatchDocumentRequest>;
