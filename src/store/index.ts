/**
 * What the rest of the service uses of the store: the contract, the neutral checks a route makes
 * before any store call, and openStore. Backends (sql/, pglite/, postgres/) stay behind it.
 */
export type {
  AttachedSource,
  CallOptions,
  ChunkingSettings,
  Collection,
  CollectionDefinition,
  Distance,
  DocumentChunk,
  DocumentInput,
  DocumentStore,
  Filter,
  HnswSettings,
  LegOptions,
  ObserveStage,
  SearchHit,
  SearchOptions,
  SearchScope,
  StoreConnections,
  StoredDocument,
  StoreLog,
  UpsertOptions,
  UpsertResult,
} from './document-store.js';
export type { OpenStoreOptions } from './open-store-options.js';
export { checkCollectionName } from './collection-name.js';
export { ParsedFilter, type FilterNode } from './filter-ast.js';
export { checkFilter, FILTER_LIMITS, parseFilter } from './filter-parse.js';
export { openStore } from './open-store.js';
export { MAX_EF_SEARCH, MAX_K } from './search-request.js';
