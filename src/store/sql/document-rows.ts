import pg from 'pg';
import type { Relation } from './relation.js';
import type { PreparedRow } from './prepared-rows.js';
import type { StoredDocument, VectorType } from '../document-store.js';

const { escapeIdentifier: id } = pg;

/**
 * One upsert batch, inside the caller's transaction: the documents' old rows go and their new
 * rows come in together, so a re-upserted document never keeps a chunk of its earlier version and
 * a reader sees either version, whole. unnest() sends a batch as six array parameters.
 */
export async function writeBatch(c: pg.ClientBase, table: string, batch: PreparedRow[][], vectorType: VectorType): Promise<void> {
  const t = id(table);
  const rows = batch.flat();
  // By the key's index whatever the planner's statistics say. A bulk load (deferIndex) analyzes
  // only at its end, and Postgres without autovacuum (or PGlite) never does: with no statistics a
  // batch of 256 ids looked like the whole table, so each batch's DELETE scanned all of it and the
  // load slowed as the table grew (a 1M-document load: from ~1,900 to ~420 documents/s by 850,000;
  // the backend read 250,000 heap blocks a second). JIT is no help to a statement of 256 rows either.
  await c.query(`SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)`);
  await c.query(`DELETE FROM ${t} WHERE id = ANY($1::text[])`, [batch.map((d) => d[0]!.id)]);
  await c.query(
    `INSERT INTO ${t} (id, chunk, text, doc_text, metadata, embedding)
     SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::jsonb[], $6::${vectorType}[])`,
    [rows.map((r) => r.id), rows.map((r) => r.chunk), rows.map((r) => r.text), rows.map((r) => r.docText), rows.map((r) => r.metadata), rows.map((r) => r.embedding)],
  );
}

/** Deletes whole documents; answers how many documents (not chunks) there were. */
export async function deleteRows(c: pg.ClientBase, table: string, ids: readonly string[]): Promise<number> {
  const { rows } = await c.query<{ n: number }>(
    `WITH d AS (DELETE FROM ${id(table)} WHERE id = ANY($1::text[]) RETURNING chunk) SELECT count(*)::int AS n FROM d WHERE chunk = 0`,
    [ids],
  );
  return rows[0]?.n ?? 0;
}

/** A document by id (chunk 0 holds what a document has once); with `vectors`, its chunks too. */
export async function readDocument(c: pg.ClientBase, rel: Relation, docId: string, vectors: boolean): Promise<StoredDocument | undefined> {
  const chunkZero = rel.owned === undefined ? '' : ' AND t.chunk = 0';
  const { rows } = await c.query<StoredDocument & { doc_text: string | null }>(
    `SELECT ${rel.id} AS id, ${rel.text} AS text, ${rel.docText(rel.id)} AS doc_text, ${rel.metadata} AS metadata
     FROM ${rel.from} WHERE ${rel.key} = $1${chunkZero} LIMIT 1`,
    [docId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const doc: StoredDocument = { id: row.id, text: row.doc_text ?? row.text, metadata: row.metadata };
  if (vectors) {
    // The runner registered pgvector's type parser, so embeddings arrive as number[].
    const chunks = await c.query<{ chunk: number; text: string; embedding: number[] }>(
      `SELECT ${rel.chunk} AS chunk, ${rel.text} AS text, ${rel.embedding} AS embedding FROM ${rel.from} WHERE ${rel.key} = $1 ORDER BY 1`,
      [docId],
    );
    doc.chunks = chunks.rows.map((r) => ({ index: r.chunk, text: r.text, embedding: Float32Array.from(r.embedding) }));
  }
  return doc;
}

export async function countDocuments(c: pg.ClientBase, rel: Relation): Promise<number> {
  const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${rel.from}${rel.owned === undefined ? '' : ' WHERE t.chunk = 0'}`);
  return rows[0]?.n ?? 0;
}
