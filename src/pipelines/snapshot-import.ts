import { ConflictError, InvalidArgumentError, RerankerError, withMessagePrefix } from '../errors.js';
import type { Collection, CollectionDefinition, DocumentInput, DocumentStore } from '../store/index.js';
import { SNAPSHOT_FORMAT, type SnapshotHeader } from './snapshot-export.js';

export interface SnapshotImportOptions {
  /** Import under this name instead of the snapshot's. */
  name?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Called after each committed batch with the documents so far. */
  onBatch?: ((documents: number) => void) | undefined;
}

export interface SnapshotImportResult {
  collection: Collection;
  documents: number;
}

/** Documents per committed upsert: memory holds one batch, whatever the snapshot's size. */
const BATCH = 256;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(line: number, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`snapshot line ${line}: ${message}`);
}

/** The settings of the snapshot's first line, as a definition for createCollection. */
function definitionOf(line: number, value: unknown, name: string | undefined): CollectionDefinition {
  if (!isObject(value) || value['type'] !== 'collection') throw bad(line, 'the first line must be the collection ({"type":"collection",...}); is this a snapshot written by `reranker export`?');
  if (value['format'] !== SNAPSHOT_FORMAT) throw bad(line, `format ${JSON.stringify(value['format'])} is not ${SNAPSHOT_FORMAT}, the one this version reads`);
  const c = value['collection'];
  if (!isObject(c)) throw bad(line, 'collection must be an object of settings');
  const settings = c as unknown as SnapshotHeader['collection'];
  return { name: name ?? settings.name, dimensions: settings.dimensions, distance: settings.distance, vector_type: settings.vector_type, language: settings.language, hnsw: settings.hnsw, bm25: settings.bm25, embedding_model: settings.embedding_model, chunking: settings.chunking };
}

function documentOf(line: number, value: Record<string, unknown>): DocumentInput {
  const chunks = value['chunks'];
  if (!Array.isArray(chunks)) throw bad(line, 'chunks must be an array');
  return {
    id: value['id'] as string,
    text: value['text'] as string,
    metadata: value['metadata'] as Record<string, unknown>,
    // The store checks ids, texts, metadata and every embedding's length and values.
    chunks: chunks.map((c: unknown, i) => {
      if (!isObject(c) || typeof c['text'] !== 'string' || !Array.isArray(c['embedding'])) throw bad(line, `chunks[${i}] must be {"text": string, "embedding": [numbers]}`);
      return { text: c['text'], embedding: Float32Array.from(c['embedding'] as number[]) };
    }),
  };
}

/**
 * Reads a snapshot (exportSnapshot's lines, parsed) into a new or empty collection with the
 * snapshot's settings, in committed batches. A collection that already holds documents is refused
 * (409 COLLECTION_CONFLICT) before anything is written, as is one with other settings; a stream that
 * ends without its last line is reported as truncated, with how many documents it committed.
 */
export async function importSnapshot(store: DocumentStore, lines: AsyncIterable<{ line: number; value: unknown }>, opts: SnapshotImportOptions = {}): Promise<SnapshotImportResult> {
  const { signal } = opts;
  let collection: Collection | undefined;
  let batch: DocumentInput[] = [];
  let documents = 0;
  let ended: number | undefined;
  const flush = async (): Promise<void> => {
    if (collection === undefined || batch.length === 0) return;
    await store.upsert(collection.name, batch, { signal, deferIndex: true });
    documents += batch.length;
    batch = [];
    opts.onBatch?.(documents);
  };
  try {
    for await (const { line, value } of lines) {
      if (ended !== undefined) throw bad(line, 'nothing may follow the end line');
      if (collection === undefined) {
        const def = definitionOf(line, value, opts.name);
        collection = await store.createCollection(def, { signal });
        if ((await store.count(collection.name, { signal })) > 0) {
          throw new ConflictError(`collection ${collection.name} already holds documents; a snapshot is imported into a new or empty collection (delete it, or import under another name).`, 'COLLECTION_CONFLICT');
        }
        continue;
      }
      if (!isObject(value)) throw bad(line, 'each line must be a JSON object');
      if (value['type'] === 'end') {
        ended = typeof value['documents'] === 'number' ? value['documents'] : -1;
        continue;
      }
      if (value['type'] !== 'document') throw bad(line, `unknown line type ${JSON.stringify(value['type'])}`);
      batch.push(documentOf(line, value));
      if (batch.length === BATCH) await flush();
    }
    if (collection === undefined) throw new InvalidArgumentError('the snapshot is empty: it has no collection line.');
    await flush();
    if (ended === undefined) throw new InvalidArgumentError(`the snapshot is truncated: it ends without its end line ({"type":"end",...}); ${documents} documents were imported.`);
    if (ended !== documents) throw new InvalidArgumentError(`the snapshot's end line counts ${ended} documents but it holds ${documents}; they were imported.`);
    await store.buildIndex(collection.name, { signal });
    return { collection, documents };
  } catch (err) {
    // Batches before the failure are committed; say how many.
    if (err instanceof RerankerError && documents > 0 && !err.message.includes('were imported')) throw withMessagePrefix(err, `after ${documents} documents were imported: `);
    throw err;
  }
}
