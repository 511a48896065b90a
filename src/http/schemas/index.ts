/**
 * The API contract. Validation, TypeScript types and openapi.yaml all come from these schemas.
 * Unknown request fields are ignored (hosted APIs' clients send extras such as max_chunks_per_doc).
 */
export * from './common.js';
export * from './embeddings.js';
export * from './operations.js';
export * from './rerank.js';
export * from './collections.js';
export * from './search.js';
