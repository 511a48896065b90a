import { setImmediate as turn } from 'node:timers/promises';
import type { Collection, DocumentStore, StoredDocument } from '../store/index.js';

/*
 * A collection snapshot (issue 23): NDJSON, one JSON object a line, written and read as a stream.
 *   {"type":"collection","format":"reranker-snapshot/1","collection":{name, dimensions, distance, ...}}
 *   {"type":"document","id":..,"text":..,"metadata":{..},"chunks":[{"text":..,"embedding":[..]}, ..]}  (by id)
 *   {"type":"end","documents":N}
 * The last line says the stream is whole: an import that never reads it reports a truncated file.
 * Embeddings are float32 written in their shortest decimal form, which parses back to the same float32.
 */

export const SNAPSHOT_FORMAT = 'reranker-snapshot/1';

export interface SnapshotHeader {
  type: 'collection';
  format: typeof SNAPSHOT_FORMAT;
  /** The settings as the store resolved them; an attached collection's source is left out (an import owns its rows). */
  collection: Omit<Collection, 'source' | 'created_at'> & { created_at?: string };
}

export interface SnapshotDocument {
  type: 'document';
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  chunks: { text: string; embedding: number[] }[];
}

export interface SnapshotEnd {
  type: 'end';
  documents: number;
}

/** Documents read from the store per query: memory stays bounded by one page whatever the collection's size. */
const PAGE = 256;
/** Documents written between turns of the event loop (~8 ms of 384-d vectors). */
const SLICE = 32;

/** The shortest decimal that parses back to this float32 (at most 9 significant digits do). */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  // More digits stay closer, so whether p digits parse back is monotonic in p: a binary search over 1..9.
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(value.toPrecision(mid))) === value) hi = mid;
    else lo = mid + 1;
  }
  return Number(value.toPrecision(lo));
}

function documentLine(doc: StoredDocument): string {
  const chunks = (doc.chunks ?? []).map((c) => ({ text: c.text, embedding: Array.from(c.embedding, shortestFloat32) }));
  const line: SnapshotDocument = { type: 'document', id: doc.id, text: doc.text, metadata: doc.metadata, chunks };
  return `${JSON.stringify(line)}\n`;
}

/**
 * The collection as snapshot lines, read page by page with a keyset scroll (so a document written
 * during the export is in it at most once). The settings come first; `signal` stops the scroll.
 */
export async function* exportSnapshot(store: DocumentStore, collection: Collection, signal?: AbortSignal): AsyncGenerator<string> {
  const { source: _source, ...settings } = collection;
  const header: SnapshotHeader = { type: 'collection', format: SNAPSHOT_FORMAT, collection: settings };
  yield `${JSON.stringify(header)}\n`;
  let after: string | undefined;
  let count = 0;
  for (;;) {
    const page = await store.scroll(collection.name, { limit: PAGE, after, vectors: true }, { signal });
    // Writing a page of 384-d vectors takes ~68 ms of the main thread (Zen 3): it goes out in slices,
    // with a turn of the event loop after each, so requests beside an export are not held up.
    for (let i = 0; i < page.length; i += SLICE) {
      yield page.slice(i, i + SLICE).map(documentLine).join('');
      await turn();
    }
    count += page.length;
    if (page.length < PAGE) break;
    after = page.at(-1)?.id;
  }
  const end: SnapshotEnd = { type: 'end', documents: count };
  yield `${JSON.stringify(end)}\n`;
}
