/**
 * The document store contract: collections of documents with a vector, a text and JSON metadata,
 * searched by vector similarity and by full text, both under one metadata filter. Two backends
 * implement it with the same SQL (sql/sql-document-store.ts): PGlite in its own worker thread
 * (pglite/, the embedded default) and PostgreSQL with pgvector (postgres/). The store knows nothing
 * about HTTP or models: the caller passes embeddings in, and the dimension when it creates a collection.
 *
 * Definitions use the snake_case field names of the HTTP API and of the registry table, so a route
 * can pass a validated body through and answer with what it gets back.
 */
import type { Filter, ParsedFilter } from './filter-ast.js';
import type { Log } from '../log.js';

export type { Filter } from './filter-ast.js';

/**
 * How vectors are compared, and what a search's `score` is (higher is always better):
 * - cosine: 1 - cosine distance, in [-1, 1];
 * - ip: the inner product;
 * - l2: minus the Euclidean distance (0 for an identical vector).
 */
export type Distance = 'cosine' | 'l2' | 'ip';

/**
 * How a collection of ours stores its vectors: pgvector's `vector` (4-byte floats) or `halfvec`
 * (2-byte floats: half the memory of the vectors and of their HNSW index, at a precision of about
 * three significant digits). An attached table's column is read as `vector`.
 */
export type VectorType = 'vector' | 'halfvec';

export interface HnswSettings {
  /** Links per node (pgvector default 16). */
  m: number;
  /** Candidate list while building (pgvector default 64; at least 2 * m). */
  ef_construction: number;
}

/** BM25's free parameters (Lucene's and Elasticsearch's defaults: k1 1.2, b 0.75). */
export interface Bm25Settings {
  /** How fast repeated occurrences of a term stop adding to a score (0 to 3). */
  k1: number;
  /** How much a long row's score is lowered for its length (0: not at all, 1: fully). */
  b: number;
}

export interface ChunkingSettings {
  max_tokens: number;
  overlap: number;
}

/** An existing table a collection reads where it is and never writes (the sidecar case). */
export interface AttachedSource {
  /** "table" (found on the search_path) or "schema.table" (names containing a dot cannot be attached); stored schema-qualified. */
  table: string;
  id_column: string;
  text_column: string;
  /** A pgvector `vector` column of the collection's dimensions. */
  vector_column: string;
  /** A json or jsonb column the filters apply to; without it every document's metadata is {}. */
  metadata_column?: string;
  /** A tsvector column for the lexical leg; without it to_tsvector(language, text) is computed per query. */
  tsvector_column?: string;
  /** Text search configuration of this table's text (default: the collection's language). */
  language?: string;
}

/** What createCollection takes; omitted settings get their defaults. */
export interface CollectionDefinition {
  name: string;
  dimensions: number;
  distance?: Distance;
  vector_type?: VectorType;
  /** A text search configuration of the store (pg_ts_config), default 'english'. */
  language?: string;
  hnsw?: Partial<HnswSettings>;
  /** The lexical leg's BM25 parameters (a collection of ours; an attached table ranks with ts_rank_cd). */
  bm25?: Partial<Bm25Settings> | null;
  embedding_model?: string;
  chunking?: ChunkingSettings | null;
  source?: AttachedSource | null;
}

/** A collection as stored in the registry, every setting resolved. */
export interface Collection {
  name: string;
  dimensions: number;
  distance: Distance;
  vector_type: VectorType;
  language: string;
  hnsw: HnswSettings;
  /** BM25's parameters for the lexical leg; null for an attached table, whose lexical leg ranks with ts_rank_cd (no term statistics can be kept for rows we never write). */
  bm25: Bm25Settings | null;
  embedding_model: string;
  chunking: ChunkingSettings | null;
  source: AttachedSource | null;
  /** ISO 8601. */
  created_at: string;
}

export interface DocumentChunk {
  text: string;
  /** Exactly the collection's dimensions, all finite. */
  embedding: Float32Array;
}

export interface DocumentInput {
  /** 1 to 1024 UTF-8 bytes, no NUL. */
  id: string;
  /** The whole document; returned by getDocument and by searches. */
  text: string;
  /** A JSON object (no NUL characters in keys or strings); default {}. */
  metadata?: Record<string, unknown>;
  /** One or more; a document of one chunk usually has chunks: [{ text, embedding }]. */
  chunks: DocumentChunk[];
}

export interface StoredDocument {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  /** Only with { vectors: true }: each stored chunk and its embedding, in chunk order. */
  chunks?: { index: number; text: string; embedding: Float32Array }[];
}

export interface SearchHit {
  id: string;
  /** Higher is better; see Distance for the vector leg, ts_rank_cd for the lexical leg. */
  score: number;
  /** 1 for the best hit. */
  rank: number;
  /** The whole document's text. */
  text: string;
  metadata: Record<string, unknown>;
  /** Only for a document stored in chunks (several, or one that is not the whole text): the chunk that scored best. */
  chunk?: { index: number; text: string };
}

export interface CallOptions {
  /** A client disconnect or a request deadline: the store query is cancelled and the call rejects with signal.reason. */
  signal?: AbortSignal | undefined;
}

/** What one leg of a search takes besides its query; the filter belongs to the scope. */
export interface LegOptions extends CallOptions {
  /** Vector leg only: scan every row instead of the HNSW index (recall measurements, tests). */
  exact?: boolean | undefined;
  /** Vector leg only: HNSW's candidate list (hnsw.ef_search, 1-1000); never below what the rows asked for need. */
  efSearch?: number | undefined;
  /** Lexical leg only: told how many rows the leg scored (BM25's pruning reads fewer than match) and where: this process's postings or SQL. */
  scored?: ((rows: number, via: 'memory' | 'sql') => void) | undefined;
}

export interface SearchOptions extends LegOptions {
  /** Raw (parsed on the call) or already parsed (filter-parse.ts). */
  filter?: Filter | ParsedFilter | undefined;
}

/**
 * One collection, read once, and one filter, parsed and compiled once, shared by the legs of one
 * search: neither leg reads the collection's definition again or compiles the filter again.
 */
export interface SearchScope {
  readonly collection: Collection;
  /** As DocumentStore.vectorSearch, under the scope's filter. */
  vectorSearch(vector: Float32Array, k: number, options?: LegOptions): Promise<SearchHit[]>;
  /** As DocumentStore.lexicalSearch, under the scope's filter. */
  lexicalSearch(query: string, k: number, options?: LegOptions): Promise<SearchHit[]>;
}

export interface UpsertOptions extends CallOptions {
  /**
   * Leave a collection without its HNSW index as it is (a bulk load in several calls; finish with
   * buildIndex). Without it, a call that finds no index builds one after its rows are in.
   */
  deferIndex?: boolean | undefined;
  /** Called after each committed batch with the running totals of this call. */
  onBatch?: ((done: UpsertResult) => void) | undefined;
}

export interface ScrollPage {
  limit: number;
  /** The last id of the previous page; none for the first page. */
  after?: string | undefined;
  filter?: Filter | ParsedFilter | undefined;
  /** Also each document's chunks with their embeddings (snapshots). */
  vectors?: boolean | undefined;
}

export interface UpsertResult {
  /** Documents written (each replaces any earlier version of the same id). */
  upserted: number;
  /** Rows written, one per chunk. */
  chunks: number;
}

export interface DocumentStore {
  /** 'pglite' for the embedded store, 'postgres' for a server. */
  readonly kind: 'pglite' | 'postgres';

  /** Throws StoreUnavailableError while the store cannot be reached; readiness checks use it. */
  ping(options?: CallOptions): Promise<void>;
  /** The connection pool now: connections open, idle among them, and callers waiting for one. */
  connections(): StoreConnections;

  /** Idempotent for the same settings; ConflictError COLLECTION_CONFLICT when they differ. */
  createCollection(def: CollectionDefinition, options?: CallOptions): Promise<Collection>;
  /** NotFoundError COLLECTION_NOT_FOUND when unknown (as for every call naming a collection). */
  getCollection(name: string, options?: CallOptions): Promise<Collection>;
  listCollections(options?: CallOptions): Promise<Collection[]>;
  /** Drops the collection's table; an attached table is only forgotten, never dropped. */
  dropCollection(name: string, options?: CallOptions): Promise<void>;

  /** Committed in batches; resolves once every row is visible to searches. */
  upsert(name: string, docs: readonly DocumentInput[], options?: UpsertOptions): Promise<UpsertResult>;
  /** Builds the HNSW index when missing (after upserts with deferIndex) and refreshes planner statistics; true when it built one. */
  buildIndex(name: string, options?: CallOptions): Promise<boolean>;
  /** Number of documents deleted (not chunks); unknown ids are ignored. */
  deleteDocuments(name: string, ids: readonly string[], options?: CallOptions): Promise<number>;
  getDocument(name: string, id: string, options?: CallOptions & { vectors?: boolean }): Promise<StoredDocument | undefined>;
  /** Documents, not chunks. */
  count(name: string, options?: CallOptions): Promise<number>;

  /** Up to `limit` documents matching `filter` with ids after `after`, by id (a keyset scroll: each document once). */
  scroll(name: string, page: ScrollPage, options?: CallOptions): Promise<StoredDocument[]>;
  /** The documents of these ids that exist, in the order asked. */
  getDocuments(name: string, ids: readonly string[], options?: CallOptions): Promise<StoredDocument[]>;
  /** Documents whose metadata matches (all of them without a filter). */
  countMatching(name: string, filter: Filter | ParsedFilter | undefined, options?: CallOptions): Promise<number>;
  /** Deletes the documents whose metadata matches; answers how many. */
  deleteMatching(name: string, filter: Filter | ParsedFilter, options?: CallOptions): Promise<number>;
  /** Merges into (or replaces) a document's metadata, no re-embedding; undefined when there is no such document. */
  updateMetadata(name: string, id: string, metadata: Record<string, unknown>, mode: 'merge' | 'replace', options?: CallOptions): Promise<StoredDocument | undefined>;

  /** The k nearest documents (a chunked document once, by its best chunk), best first, ties by id. */
  vectorSearch(name: string, vector: Float32Array, k: number, options?: SearchOptions): Promise<SearchHit[]>;
  /** Documents matching any lexeme of the query, by ts_rank_cd, best first, ties by id. */
  lexicalSearch(name: string, query: string, k: number, options?: SearchOptions): Promise<SearchHit[]>;
  /**
   * The legs of one search over a collection the caller has read (getCollection), under one filter;
   * no store call. Throws INVALID_FILTER for a raw filter that does not parse.
   */
  searchScope(collection: Collection, filter?: Filter | ParsedFilter): SearchScope;

  /** Closes connections; for the embedded store also stops its worker and closes the data directory cleanly. */
  close(): Promise<void>;
}

export interface StoreConnections {
  total: number;
  idle: number;
  waiting: number;
}

/** Optional per-stage timings in seconds: 'vector_search', 'lexical_search', 'upsert_batch', 'index_build'. */
export type ObserveStage = (stage: string, seconds: number) => void;

/** The store logs through the service-wide logger type (src/log.ts). */
export type StoreLog = Log;
