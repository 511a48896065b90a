import pg from 'pg';
import type { StoredDocument } from '../document-store.js';
import type { CompiledFilter } from './filter-sql.js';
import type { Relation } from './relation.js';
import { SqlParams } from './sql-params.js';

const { escapeIdentifier: id } = pg;

/*
 * The document operations beside search (issue 24: what Qdrant users reach for): scroll, read many,
 * count, delete by filter and change metadata. A document is its chunk 0 row in our own tables (every
 * chunk carries the same metadata); an attached table has one row per document. Filters are
 * compiled by the caller over `rel.metadata`, so their placeholders come first.
 */

interface DocRow {
  id: string;
  text: string;
  doc_text: string | null;
  metadata: Record<string, unknown>;
}

const documentOf = (row: DocRow): StoredDocument => ({ id: row.id, text: row.doc_text ?? row.text, metadata: row.metadata });

function firstChunk(rel: Relation): string {
  return rel.owned === undefined ? 'TRUE' : 't.chunk = 0';
}

function selectDocuments(rel: Relation): string {
  return `SELECT ${rel.id} AS id, ${rel.text} AS text, ${rel.docText(rel.id)} AS doc_text, ${rel.metadata} AS metadata FROM ${rel.from}`;
}

/**
 * Up to `limit` documents matching the filter with ids after `after`, by id: keyset pagination, so a
 * scroll returns every document that exists throughout it exactly once, whatever is written meanwhile.
 */
export async function scrollDocuments(c: pg.ClientBase, rel: Relation, filter: CompiledFilter, after: string | undefined, limit: number, vectors = false): Promise<StoredDocument[]> {
  const p = new SqlParams(filter.values);
  const from = after === undefined ? 'TRUE' : `${rel.id} > ${p.add(after)}`;
  // The database's own collation, as the primary key's index has it, so a page is an index range scan.
  const { rows } = await c.query<DocRow>(
    `${selectDocuments(rel)} WHERE ${firstChunk(rel)} AND ${filter.sql} AND ${from} ORDER BY ${rel.id} LIMIT ${p.add(limit)}`,
    p.values,
  );
  const docs = rows.map(documentOf);
  if (vectors && docs.length > 0) await attachChunks(c, rel, docs);
  return docs;
}

/** Every chunk of these documents with its embedding, in chunk order, in one query. */
async function attachChunks(c: pg.ClientBase, rel: Relation, docs: StoredDocument[]): Promise<void> {
  // The runner registered pgvector's type parser, so embeddings arrive as number[].
  const { rows } = await c.query<{ id: string; chunk: number; text: string; embedding: number[] }>(
    `SELECT ${rel.id} AS id, ${rel.chunk} AS chunk, ${rel.text} AS text, ${rel.embedding} AS embedding FROM ${rel.from} WHERE ${rel.id} = ANY($1::text[]) ORDER BY 1, 2`,
    [docs.map((d) => d.id)],
  );
  const byId = new Map(docs.map((d) => [d.id, d]));
  for (const r of rows) {
    const doc = byId.get(r.id);
    if (doc === undefined) continue;
    (doc.chunks ??= []).push({ index: r.chunk, text: r.text, embedding: Float32Array.from(r.embedding) });
  }
}

/** The documents of these ids that exist, in the order asked (an id asked twice comes once). */
export async function readDocuments(c: pg.ClientBase, rel: Relation, ids: readonly string[]): Promise<StoredDocument[]> {
  const { rows } = await c.query<DocRow>(`${selectDocuments(rel)} WHERE ${firstChunk(rel)} AND ${rel.id} = ANY($1::text[])`, [ids]);
  const byId = new Map(rows.map((r) => [r.id, documentOf(r)]));
  return [...new Set(ids)].flatMap((docId) => byId.get(docId) ?? []);
}

export async function countMatching(c: pg.ClientBase, rel: Relation, filter: CompiledFilter): Promise<number> {
  const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${rel.from} WHERE ${firstChunk(rel)} AND ${filter.sql}`, [...filter.values]);
  return rows[0]?.n ?? 0;
}

/** Deletes every document (all its chunks) whose metadata matches; answers how many documents. */
export async function deleteMatching(c: pg.ClientBase, table: string, filter: CompiledFilter): Promise<number> {
  const t = id(table);
  const { rows } = await c.query<{ n: number }>(
    `WITH doomed AS (SELECT t.id FROM ${t} t WHERE t.chunk = 0 AND ${filter.sql}),
          d AS (DELETE FROM ${t} x USING doomed WHERE x.id = doomed.id RETURNING x.chunk)
     SELECT count(*)::int AS n FROM d WHERE chunk = 0`,
    [...filter.values],
  );
  return rows[0]?.n ?? 0;
}

/** Sets a document's metadata on every chunk (merged into what it has, or replacing it); false when there is no such document. */
export async function updateMetadata(c: pg.ClientBase, table: string, docId: string, metadata: Record<string, unknown>, mode: 'merge' | 'replace'): Promise<boolean> {
  const value = mode === 'merge' ? 'metadata || $2::jsonb' : '$2::jsonb';
  const { rowCount } = await c.query(`UPDATE ${id(table)} SET metadata = ${value} WHERE id = $1`, [docId, JSON.stringify(metadata)]);
  return (rowCount ?? 0) > 0;
}
