import type { InferenceEngine } from '../engine/engine.js';
import { ConflictError, InvalidArgumentError, LimitExceededError } from '../errors.js';
import type { Collection, DocumentInput, DocumentStore } from '../store/index.js';
import type { Metrics } from '../metrics.js';
import { timed } from './cache-policy.js';
import { shapeVector, type EmbedPipeline } from './embed-pipeline.js';
import { checkSameEmbedder } from './same-embedder.js';

/** A document as a client sends it: text, optional metadata, optional ready vector. */
export interface IngestDocument {
  id: string;
  text: string;
  metadata?: object | undefined;
  vector?: number[] | undefined;
}

export interface IngestResult {
  upserted: number;
  /** Tokens the embedding model read. */
  embeddingTokens: number;
  /** Texts (whole documents or chunks) the service embedded. */
  embeddedTexts: number;
  chunks: number;
}

/** The loaded embedding model as ingestion uses it. */
export interface IngestEmbedder {
  name: string;
  pipeline: EmbedPipeline;
  engine: InferenceEngine;
  normalize: boolean;
  /** Tokens per text the model reads (special tokens included). */
  maxLength: number;
}

export interface IngestDeps {
  store: DocumentStore;
  metrics?: Metrics | undefined;
  /** The embedder; throws 503 EMBEDDER_UNAVAILABLE when none is loaded. Only documents without a vector need it. */
  embedder: () => IngestEmbedder;
  maxDocumentChars: number;
}

/**
 * Texts embedded per engine call: small enough that a bulk load never fills the engine's queue (it
 * admits a few thousand texts) or holds many vectors at once, large enough to keep batches full.
 */
const EMBED_BATCH = 256;

/**
 * upsert: check -> chunk (collections that chunk) -> embed what has no vector -> write. Document
 * embeddings are not cached: each is computed once, and they would push query embeddings and pair
 * scores out of the memory tier.
 */
export class IngestPipeline {
  constructor(private readonly deps: IngestDeps) {}

  /**
   * `deferIndex`: a bulk load in several calls leaves a new collection without its HNSW index until
   * `finish` (building it once after the rows is several times faster than maintaining it per row).
   */
  async upsert(collection: Collection, docs: readonly IngestDocument[], signal?: AbortSignal, deferIndex = false): Promise<IngestResult> {
    if (collection.source !== null) {
      throw new ConflictError(`Collection ${collection.name} reads the table ${collection.source.table} where it is and never writes to it.`, 'READ_ONLY_COLLECTION');
    }
    docs.forEach((d, i) => {
      if (d.text.length > this.deps.maxDocumentChars) {
        throw new LimitExceededError(`documents[${i}].text has ${d.text.length} characters, over the limit of ${this.deps.maxDocumentChars}.`, 'DOCUMENT_TOO_LONG');
      }
      if (d.vector !== undefined && d.vector.length !== collection.dimensions) {
        throw new InvalidArgumentError(`documents[${i}].vector has ${d.vector.length} dimensions; collection ${collection.name} has ${collection.dimensions}.`, 'DIMENSION_MISMATCH');
      }
    });
    const toEmbed = docs.filter((d) => d.vector === undefined);
    const chunkTexts = new Map<IngestDocument, string[]>();
    let embeddingTokens = 0;
    let embeddedTexts = 0;
    const vectors = new Map<string, Float32Array>();
    if (toEmbed.length > 0) {
      const embedder = this.deps.embedder();
      checkSameEmbedder(collection, embedder.name);
      const { maxLength } = embedder;
      if (collection.chunking !== null && collection.chunking.max_tokens > maxLength) {
        throw new InvalidArgumentError(`collection ${collection.name} chunks at ${collection.chunking.max_tokens} tokens, more than the embedding model reads (${maxLength}).`);
      }
      for (const d of toEmbed) chunkTexts.set(d, [d.text]);
      if (collection.chunking !== null) {
        const ranges = await embedder.engine.chunk(embedder.pipeline.model, toEmbed.map((d) => d.text), collection.chunking.max_tokens, collection.chunking.overlap, signal);
        toEmbed.forEach((d, i) => chunkTexts.set(d, (ranges[i] ?? [[0, d.text.length]]).map(([start, end]) => d.text.slice(start, end))));
      }
      const texts = [...new Set([...chunkTexts.values()].flat())];
      await timed('embed', 'embedder', this.deps.metrics, {}, async () => {
        for (let at = 0; at < texts.length; at += EMBED_BATCH) {
          const batch = texts.slice(at, at + EMBED_BATCH);
          const out = await embedder.pipeline.run({ texts: batch, truncation: { direction: 'right', truncate: true }, signal, cache: { read: false, write: false } });
          out.vectors.forEach((v, j) => vectors.set(batch[j] as string, shapeVector(v, { normalize: embedder.normalize })));
          embeddingTokens += out.tokens;
          embeddedTexts += batch.length;
        }
      });
    }
    const inputs: DocumentInput[] = docs.map((d) => ({
      id: d.id,
      text: d.text,
      ...(d.metadata === undefined ? {} : { metadata: d.metadata as Record<string, unknown> }),
      chunks:
        d.vector !== undefined
          ? [{ text: d.text, embedding: Float32Array.from(d.vector) }]
          : (chunkTexts.get(d) as string[]).map((text) => ({ text, embedding: vectors.get(text) as Float32Array })),
    }));
    const written = await timed('write', 'none', this.deps.metrics, {}, () => this.deps.store.upsert(collection.name, inputs, { signal, deferIndex }));
    return { upserted: written.upserted, embeddingTokens, embeddedTexts, chunks: written.chunks };
  }

  /** Builds the index a bulk load deferred (a no-op when the collection has one); timed as stage `index`, minutes at 100,000 rows. */
  async finish(collection: Collection, signal?: AbortSignal): Promise<void> {
    await timed('index', 'none', this.deps.metrics, {}, () => this.deps.store.buildIndex(collection.name, { signal }));
  }
}
