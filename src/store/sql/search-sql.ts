import type pg from 'pg';
import type { Collection, SearchHit } from '../document-store.js';
import type { CompiledFilter } from './filter-sql.js';
import { PGVECTOR_DISTANCES, scoreOf } from './pgvector-distance.js';
import type { Relation } from './relation.js';
import { SqlParams } from './sql-params.js';

/** One search statement's rows; `scanned` is how many chunk rows the inner, limited scan returned. */
interface HitRow {
  id: string;
  chunk: number;
  text: string;
  metadata: Record<string, unknown>;
  score: number;
  doc_text: string | null;
  scanned: number;
}

/**
 * The shape both legs share: `hits` is the inner scan of chunk rows (limited to `rows`, the index
 * scan when there is one), `best` keeps each document's best chunk, and the outer query sorts the
 * documents again (an iterative index scan returns rows only roughly in order) with ties by id.
 * MATERIALIZED keeps the planner from pulling the outer ORDER BY into the index scan.
 */
function wrap(rel: Relation, inner: string, order: 'distance' | 'score DESC', scoreExpr: string, p: SqlParams, k: number): string {
  return `WITH hits AS MATERIALIZED (${inner}),
  best AS (SELECT DISTINCT ON (id) * FROM hits ORDER BY id, ${order}, chunk)
  SELECT b.id, b.chunk, b.text, b.metadata, ${scoreExpr} AS score, ${rel.docText('b.id')} AS doc_text,
         (SELECT count(*)::int FROM hits) AS scanned
  FROM best b ORDER BY b.${order}, b.id LIMIT ${p.add(k)}`;
}

export interface SearchStatement {
  text: string;
  values: unknown[];
}

/**
 * The vector leg. The filter was compiled once for the search; its values take the first
 * placeholders of every statement built with it, the statement's own come after.
 */
export function vectorStatement(rel: Relation, collection: Collection, vector: string, rows: number, k: number, filter: CompiledFilter, exact: boolean): SearchStatement {
  const p = new SqlParams(filter.values);
  const q = p.add(vector);
  const distance = `(${rel.embedding} ${PGVECTOR_DISTANCES[collection.distance].operator} ${q}::${collection.vector_type})`;
  const where = filter.sql;
  // ORDER BY the bare distance is what the HNSW index serves; the exact scan also orders ties.
  const order = exact ? `${distance}, id, chunk` : distance;
  const inner = `SELECT ${rel.id} AS id, ${rel.chunk} AS chunk, ${rel.text} AS text, ${rel.metadata} AS metadata, ${distance} AS distance
    FROM ${rel.from} WHERE ${where} ORDER BY ${order} LIMIT ${p.add(rows)}`;
  return { text: wrap(rel, inner, 'distance', scoreOf(collection.distance, 'b.distance'), p, k), values: p.values };
}

/**
 * The lexical leg: a chunk matching ANY lexeme of to_tsvector(language, query) is a candidate,
 * ranked by ts_rank_cd. The lexemes are quoted and cast straight to tsquery, so they are not
 * stemmed twice; a query of stop words only gives a NULL tsquery, which matches nothing.
 */
export function lexicalStatement(rel: Relation, language: string, query: string, rows: number, k: number, filter: CompiledFilter): SearchStatement {
  const p = new SqlParams(filter.values);
  const lang = p.add(language);
  const q = p.add(query);
  const tsv = rel.tsv(lang);
  const where = filter.sql;
  const inner = `WITH q AS (
      SELECT string_agg(quote_literal(l), ' | ')::tsquery AS query
      FROM unnest(tsvector_to_array(to_tsvector(${lang}::regconfig, ${q}::text))) AS l)
    SELECT ${rel.id} AS id, ${rel.chunk} AS chunk, ${rel.text} AS text, ${rel.metadata} AS metadata, ts_rank_cd(${tsv}, q.query) AS score
    FROM ${rel.from}, q WHERE ${tsv} @@ q.query AND ${where}
    ORDER BY score DESC, id, chunk LIMIT ${p.add(rows)}`;
  return { text: wrap(rel, inner, 'score DESC', 'b.score', p, k), values: p.values };
}

/** Runs a statement, answering the hits and how many rows its inner scan returned. */
export async function runSearch(client: pg.ClientBase, statement: SearchStatement): Promise<{ hits: SearchHit[]; scanned: number }> {
  const result = await client.query<HitRow>(statement.text, statement.values);
  const hits = result.rows.map((r, i): SearchHit => {
    const hit: SearchHit = { id: r.id, score: Number(r.score), rank: i + 1, text: r.doc_text ?? r.text, metadata: r.metadata };
    if (r.doc_text !== null) hit.chunk = { index: r.chunk, text: r.text };
    return hit;
  });
  return { hits, scanned: result.rows[0]?.scanned ?? 0 };
}
