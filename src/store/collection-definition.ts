import { InvalidArgumentError } from '../errors.js';
import { checkCollectionName } from './collection-name.js';
import type { AttachedSource, Bm25Settings, ChunkingSettings, Collection, CollectionDefinition, Distance, HnswSettings } from './document-store.js';

/** pgvector's own defaults. */
export const DEFAULT_HNSW: HnswSettings = { m: 16, ef_construction: 64 };
export const DEFAULT_LANGUAGE = 'english';
export const DEFAULT_BM25: Bm25Settings = { k1: 1.2, b: 0.75 };
/** pgvector's HNSW indexes `vector` up to 2,000 dimensions; an attached table without our index may have up to 16,000. */
export const MAX_INDEXED_DIMENSIONS = 2000;
/** ... and `halfvec` up to 4,000. */
export const MAX_INDEXED_HALF_DIMENSIONS = 4000;
export const MAX_DIMENSIONS = 16000;

/** The distances a collection may use; how a backend computes each is its own business (sql/pgvector-distance.ts). */
const DISTANCES: ReadonlySet<string> = new Set<Distance>(['cosine', 'l2', 'ip']);

/** A definition with every setting resolved; what the registry stores (without created_at). */
export type ResolvedDefinition = Omit<Collection, 'created_at'>;

const LANGUAGE = /^[a-z_][a-z0-9_]{0,62}$/;
/** A column or table name as the catalog spells it; anything printable, quoted when used. */
const MAX_IDENTIFIER_BYTES = 63;

function bad(message: string): never {
  throw new InvalidArgumentError(message);
}

function int(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) bad(`${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  return value;
}

export function checkLanguage(value: unknown, what = 'language'): string {
  if (typeof value !== 'string' || !LANGUAGE.test(value)) bad(`${what} must name a text search configuration such as "english" or "simple", got ${JSON.stringify(value)}.`);
  return value;
}

function identifier(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > MAX_IDENTIFIER_BYTES || value.includes('\u0000')) {
    bad(`${what} must be a column name of 1 to ${MAX_IDENTIFIER_BYTES} bytes, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function checkSource(source: AttachedSource): AttachedSource {
  if (typeof source !== 'object' || source === null) bad('source must be an object');
  const table = source.table;
  if (typeof table !== 'string' || table.split('.').length > 2) bad(`source.table must be "table" or "schema.table", got ${JSON.stringify(table)}.`);
  table.split('.').forEach((part) => identifier(part, 'source.table'));
  const out: AttachedSource = {
    table,
    id_column: identifier(source.id_column, 'source.id_column'),
    text_column: identifier(source.text_column, 'source.text_column'),
    vector_column: identifier(source.vector_column, 'source.vector_column'),
  };
  if (source.metadata_column !== undefined) out.metadata_column = identifier(source.metadata_column, 'source.metadata_column');
  if (source.tsvector_column !== undefined) out.tsvector_column = identifier(source.tsvector_column, 'source.tsvector_column');
  if (source.language !== undefined) out.language = checkLanguage(source.language, 'source.language');
  return out;
}

function number(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) bad(`${what} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  return value;
}

function checkBm25(bm25: Partial<Bm25Settings> | null | undefined, attached: boolean): Bm25Settings | null {
  if (attached) {
    if (bm25 !== undefined && bm25 !== null) bad('bm25 applies to collections of the service only: an attached table ranks its lexical leg with ts_rank_cd, since no term statistics can be kept for rows the service never writes.');
    return null;
  }
  return { k1: number(bm25?.k1 ?? DEFAULT_BM25.k1, 'bm25.k1', 0, 3), b: number(bm25?.b ?? DEFAULT_BM25.b, 'bm25.b', 0, 1) };
}

function checkChunking(chunking: ChunkingSettings): ChunkingSettings {
  const max_tokens = int(chunking.max_tokens, 'chunking.max_tokens', 1, 1_000_000);
  const overlap = int(chunking.overlap, 'chunking.overlap', 0, max_tokens - 1);
  return { max_tokens, overlap };
}

/** Validates a definition and fills in the defaults; the language is checked against the store later. */
export function resolveDefinition(def: CollectionDefinition): ResolvedDefinition {
  if (typeof def !== 'object' || def === null) bad('a collection definition must be an object');
  const name = checkCollectionName(def.name);
  const source = def.source === undefined || def.source === null ? null : checkSource(def.source);
  const vector_type = def.vector_type ?? 'vector';
  if (vector_type !== 'vector' && vector_type !== 'halfvec') bad(`vector_type must be vector or halfvec, got ${JSON.stringify(vector_type)}.`);
  if (source !== null && vector_type !== 'vector') bad('vector_type halfvec is for collections of the service; an attached table is read as it is (a vector column).');
  const dimensions = int(def.dimensions, 'dimensions', 1, source !== null ? MAX_DIMENSIONS : vector_type === 'halfvec' ? MAX_INDEXED_HALF_DIMENSIONS : MAX_INDEXED_DIMENSIONS);
  const distance = def.distance ?? 'cosine';
  if (!DISTANCES.has(distance)) bad(`distance must be cosine, l2 or ip, got ${JSON.stringify(distance)}.`);
  const m = int(def.hnsw?.m ?? DEFAULT_HNSW.m, 'hnsw.m', 2, 100);
  const ef_construction = int(def.hnsw?.ef_construction ?? DEFAULT_HNSW.ef_construction, 'hnsw.ef_construction', 4, 1000);
  if (ef_construction < 2 * m) bad(`hnsw.ef_construction must be at least twice hnsw.m (pgvector's rule), got m ${m} and ef_construction ${ef_construction}.`);
  const embedding_model = def.embedding_model ?? '';
  if (typeof embedding_model !== 'string' || embedding_model.length > 500 || embedding_model.includes('\u0000')) bad('embedding_model must be a string of at most 500 characters.');
  const chunking = def.chunking === undefined || def.chunking === null ? null : checkChunking(def.chunking);
  return {
    name,
    dimensions,
    distance,
    vector_type,
    language: checkLanguage(def.language ?? DEFAULT_LANGUAGE),
    hnsw: { m, ef_construction },
    bm25: checkBm25(def.bm25, source !== null),
    embedding_model,
    chunking,
    source,
  };
}

/** The settings that differ between a stored collection and a request, as "field: stored -> asked". */
export function differences(stored: ResolvedDefinition, asked: ResolvedDefinition): string[] {
  const keys = ['dimensions', 'distance', 'vector_type', 'language', 'hnsw', 'bm25', 'embedding_model', 'chunking', 'source'] as const;
  return keys.filter((k) => canonical(stored[k]) !== canonical(asked[k])).map((k) => `${k}: ${canonical(stored[k])} -> ${canonical(asked[k])}`);
}

/** JSON with sorted keys, so key order never makes two equal settings differ. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
