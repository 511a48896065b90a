import { Type, type Static } from 'typebox';

/** Documents one upsert request may carry (JSON); NDJSON bodies stream in batches of any total size. */
export const MAX_UPSERT_DOCUMENTS = 1000;
/** Ids one delete request may name. */
export const MAX_DELETE_IDS = 10_000;

export const CollectionName = Type.String({ pattern: '^[a-z0-9_-]{1,63}$', description: 'Lowercase letters, digits, `_` and `-`; 1 to 63 characters.' });
export const CollectionParams = Type.Object({ name: CollectionName });
export const DocumentParams = Type.Object({ name: CollectionName, id: Type.String({ minLength: 1, maxLength: 1024 }) });

/**
 * A document id: a string, or a whole number as Qdrant users send them, stored as its decimal string
 * (so 7 and "7" are the same document) and always answered as a string.
 */
export const DocumentId = Type.Union([Type.String({ minLength: 1, maxLength: 1024 }), Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })], {
  description: 'A string of 1 to 1024 UTF-8 bytes, or a whole number 0 to 2^53-1 (stored and answered as its decimal string).',
});
export const idText = (docId: string | number): string => (typeof docId === 'number' ? String(docId) : docId);

const Distance = Type.Union([Type.Literal('cosine'), Type.Literal('l2'), Type.Literal('ip')], { description: 'How vectors compare (default cosine).' });
const VectorType = Type.Union([Type.Literal('vector'), Type.Literal('halfvec')], {
  description: "How vectors are stored (default vector): halfvec keeps 2-byte floats, half the memory of the vectors and their HNSW index, at about three significant digits; HNSW up to 4,000 dimensions. Collections of the service only.",
});
const Identifier = Type.String({ minLength: 1, maxLength: 200 });

export const AttachedSource = Type.Object(
  {
    table: Identifier,
    id_column: Identifier,
    text_column: Identifier,
    vector_column: Identifier,
    metadata_column: Type.Optional(Identifier),
    tsvector_column: Type.Optional(Identifier),
    language: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
  },
  { additionalProperties: false, description: 'An existing table (Postgres store) read where it is and never written.' },
);

export const PutCollectionRequest = Type.Object(
  {
    distance: Type.Optional(Distance),
    vector_type: Type.Optional(VectorType),
    language: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'A text search configuration of the store (default english).' })),
    hnsw: Type.Optional(
      Type.Object(
        { m: Type.Optional(Type.Integer({ minimum: 2, maximum: 100 })), ef_construction: Type.Optional(Type.Integer({ minimum: 4, maximum: 1000 })) },
        { additionalProperties: false },
      ),
    ),
    bm25: Type.Optional(
      Type.Object(
        { k1: Type.Optional(Type.Number({ minimum: 0, maximum: 3 })), b: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })) },
        { additionalProperties: false, description: "The lexical leg's BM25 parameters (default k1 1.2, b 0.75); not for an attached table, which ranks with ts_rank_cd." },
      ),
    ),
    chunking: Type.Optional(
      Type.Object(
        { max_tokens: Type.Integer({ minimum: 8, maximum: 8192 }), overlap: Type.Optional(Type.Integer({ minimum: 0, maximum: 8191 })) },
        { additionalProperties: false, description: 'Split documents longer than max_tokens (embedding-model tokens) into overlapping chunks stored under one id.' },
      ),
    ),
    dimensions: Type.Optional(Type.Integer({ minimum: 1, maximum: 16_000, description: 'Vector dimensions; defaults to the embedding model\'s (required without one).' })),
    source: Type.Optional(AttachedSource),
  },
  { title: 'PutCollectionRequest', additionalProperties: false },
);
export type PutCollectionRequest = Static<typeof PutCollectionRequest>;

export const CollectionResponse = Type.Object(
  {
    name: Type.String(),
    documents: Type.Integer(),
    dimensions: Type.Integer(),
    distance: Distance,
    vector_type: VectorType,
    language: Type.String(),
    embedding_model: Type.String(),
    hnsw: Type.Object({ m: Type.Integer(), ef_construction: Type.Integer() }),
    bm25: Type.Union([Type.Object({ k1: Type.Number(), b: Type.Number() }), Type.Null()]),
    lexical_ranking: Type.Union([Type.Literal('bm25'), Type.Literal('ts_rank_cd')], {
      description: 'How the lexical leg ranks: BM25 over term statistics kept with the rows (collections of the service), or ts_rank_cd (an attached table, whose rows the service never writes).',
    }),
    chunking: Type.Union([Type.Object({ max_tokens: Type.Integer(), overlap: Type.Integer() }), Type.Null()]),
    source: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
    created_at: Type.String(),
  },
  { title: 'Collection' },
);

export const CollectionList = Type.Object({ collections: Type.Array(CollectionResponse) }, { title: 'CollectionList' });

const Metadata = Type.Object({}, { additionalProperties: true, description: 'Any JSON object; filters apply to it.' });

export const UpsertDocument = Type.Object(
  {
    id: DocumentId,
    text: Type.String(),
    metadata: Type.Optional(Metadata),
    vector: Type.Optional(Type.Array(Type.Number(), { minItems: 1, maxItems: 16_000, description: 'A ready embedding; without it the service embeds the text.' })),
  },
  { additionalProperties: false },
);
export type UpsertDocument = Static<typeof UpsertDocument>;

export const UpsertRequest = Type.Object(
  { documents: Type.Array(UpsertDocument, { maxItems: MAX_UPSERT_DOCUMENTS }) },
  { title: 'UpsertRequest', additionalProperties: false, description: 'JSON; or send application/x-ndjson with one document object per line for bulk loads.' },
);
export type UpsertRequest = Static<typeof UpsertRequest>;

export const UpsertResponse = Type.Object(
  {
    upserted: Type.Integer(),
    usage: Type.Object({ embedding_tokens: Type.Integer(), embedded_texts: Type.Integer(), chunks: Type.Integer() }),
  },
  { title: 'UpsertResponse' },
);

export const DeleteDocumentsRequest = Type.Object({ ids: Type.Array(DocumentId, { minItems: 1, maxItems: MAX_DELETE_IDS }) }, { title: 'DeleteDocumentsRequest', additionalProperties: false });
export type DeleteDocumentsRequest = Static<typeof DeleteDocumentsRequest>;

export const DeleteDocumentsResponse = Type.Object({ deleted: Type.Integer() });
export const DeleteCollectionResponse = Type.Object({ name: Type.String(), deleted: Type.Boolean() });

export const StoredDocumentResponse = Type.Object({ id: Type.String(), text: Type.String(), metadata: Metadata }, { title: 'StoredDocument' });
