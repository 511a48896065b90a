import pg from 'pg';
import type { AttachedSource } from '../document-store.js';
import type { Registered } from './registry.js';

const { escapeIdentifier: id } = pg;

/**
 * The rows a collection's queries read, as SQL expressions over the alias `t`: a table of ours,
 * or an attached table mapped onto the same columns. Only checked names reach here, each quoted.
 */
export interface Relation {
  /** `"rrc_docs" t` or `"public"."docs" t`. */
  from: string;
  /** The key column as stored, to compare with a parameter (so an index on it serves). */
  key: string;
  /** The id as text. */
  id: string;
  chunk: string;
  text: string;
  metadata: string;
  embedding: string;
  /** The tsvector of a row; `language` is the placeholder of the regconfig parameter. */
  tsv(language: string): string;
  /** The whole text of a chunked document (null for one of a single chunk), given the id expression. */
  docText(idExpr: string): string;
  /** Our own table (quoted), or undefined for an attached one, which is never written. */
  owned: string | undefined;
}

/** `"schema"."table"` from the stored "schema.table" of an attached source. */
export function qualifiedName(table: string): string {
  return table.split('.').map(id).join('.');
}

export function relationOf(reg: Registered): Relation {
  if (reg.table !== null) {
    const table = id(reg.table);
    return {
      from: `${table} t`,
      key: 't.id',
      id: 't.id',
      chunk: 't.chunk',
      text: 't.text',
      metadata: 't.metadata',
      embedding: 't.embedding',
      tsv: () => 't.tsv',
      docText: (idExpr) => `(SELECT d.doc_text FROM ${table} d WHERE d.id = ${idExpr} AND d.chunk = 0)`,
      owned: table,
    };
  }
  const source = reg.collection.source as AttachedSource;
  const text = `coalesce((t.${id(source.text_column)})::text, '')`;
  return {
    from: `${qualifiedName(source.table)} t`,
    key: `t.${id(source.id_column)}`,
    id: `(t.${id(source.id_column)})::text`,
    chunk: '0',
    text,
    metadata: source.metadata_column === undefined ? `'{}'::jsonb` : `coalesce((t.${id(source.metadata_column)})::jsonb, '{}'::jsonb)`,
    embedding: `t.${id(source.vector_column)}`,
    tsv: (language) => (source.tsvector_column === undefined ? `to_tsvector(${language}::regconfig, ${text})` : `t.${id(source.tsvector_column)}`),
    docText: () => 'NULL::text',
    owned: undefined,
  };
}
