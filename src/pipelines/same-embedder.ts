import { ConflictError } from '../errors.js';
import type { Collection } from '../store/index.js';

/**
 * Vectors of one collection must come from one model: embedding new documents (or a query) with
 * another model than the collection's would make its similarities meaningless without any error.
 * Ingest and search both ask, so it lives beside them rather than in either.
 */
export function checkSameEmbedder(collection: Collection, embedder: string): void {
  if (collection.embedding_model !== '' && collection.embedding_model !== embedder) {
    throw new ConflictError(
      `Collection ${collection.name} was embedded with ${collection.embedding_model}, but this service embeds with ${embedder}; send ready vectors, or re-create the collection.`,
      'COLLECTION_CONFLICT',
    );
  }
}
