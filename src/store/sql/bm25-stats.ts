import pg from 'pg';
import type { StoreLog } from '../document-store.js';
import { bm25Tables } from './table-names.js';

const { escapeIdentifier: id } = pg;

/*
 * BM25's term statistics for a collection table of ours (issue 22): per lexeme its document
 * frequency and two bounds for rank-safe pruning (the largest tf of any row holding it, the
 * shortest such row), and per table the row count and total length. Statement-level triggers keep
 * them in the writing transaction, so a search never sees statistics that disagree with the rows,
 * whatever statement wrote them. A "document" here is a chunk row: chunks are what the lexical leg
 * scores. Its length dl is the number of lexeme positions in its tsvector (stop words have none),
 * kept in a generated column `dl` beside the tsvector: counting it at query time unnests the
 * tsvector, ~25 us a row (a 20,000-row Postgres table on Zen 3: 148 ms for 5,049 rows, against 20 ms
 * to find them).
 */

/** Lexeme positions of a tsvector: a row's length for BM25. */
const POSITIONS_FUNCTION = 'rr_tsvector_positions';

/** The generated column of a collection table that holds its rows' lengths (language checked, quoted by the caller). */
export function lengthColumn(languageLiteral: string): string {
  return `dl int GENERATED ALWAYS AS (${POSITIONS_FUNCTION}(to_tsvector(${languageLiteral}::regconfig, text))) STORED`;
}

/** The trigger function, one per schema; it finds a table's statistics tables by name. */
const TRACK_FUNCTION = 'rr_bm25_track';

/**
 * Rows whose tsvector changed, with +1 for a new one and -1 for an old one. An UPDATE that leaves
 * the text alone (a metadata change) yields nothing and touches no statistics row.
 */
const CHANGED: Record<'INSERT' | 'DELETE' | 'UPDATE', string> = {
  INSERT: 'SELECT 1 AS s, id, chunk, tsv, dl FROM new_rows',
  DELETE: 'SELECT -1 AS s, id, chunk, tsv, dl FROM old_rows',
  UPDATE: `SELECT 1 AS s, n.id, n.chunk, n.tsv, n.dl FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id AND o.chunk = n.chunk WHERE o.tsv IS DISTINCT FROM n.tsv
    UNION ALL SELECT -1, o.id, o.chunk, o.tsv, o.dl FROM old_rows o LEFT JOIN new_rows n ON o.id = n.id AND o.chunk = n.chunk WHERE o.tsv IS DISTINCT FROM n.tsv`,
};

/**
 * Change-log entries a table keeps (bm25-replica.ts): a replica further behind than this rebuilds
 * its postings from the table instead of catching up.
 */
const LOG_KEEP = 200_000;

/**
 * Folds the rows of `changed` (columns s, tsv and dl) into the statistics. The bounds only loosen
 * (a delete leaves max_tf and min_dl as they were), so they stay bounds without a rescan.
 */
function applyDelta(changed: string, terms: string, totals: string): string {
  return `WITH c AS (${changed}),
    n AS (UPDATE ${totals} SET n = n + (SELECT coalesce(sum(s), 0) FROM c), total_dl = total_dl + (SELECT coalesce(sum(s * dl::bigint), 0) FROM c))
    INSERT INTO ${terms} AS x (lexeme, df, max_tf, min_dl)
    SELECT u.lexeme, sum(c.s), max(array_length(u.positions, 1)) FILTER (WHERE c.s > 0), min(c.dl) FILTER (WHERE c.s > 0)
    FROM c, unnest(c.tsv) u GROUP BY u.lexeme ORDER BY u.lexeme
    ON CONFLICT (lexeme) DO UPDATE SET df = x.df + excluded.df, max_tf = greatest(x.max_tf, excluded.max_tf), min_dl = least(x.min_dl, excluded.min_dl)`;
}

/** The function the length column calls; before any collection table is made. */
async function ensurePositionsFunction(c: pg.ClientBase): Promise<void> {
  await c.query(`CREATE OR REPLACE FUNCTION ${POSITIONS_FUNCTION}(tsvector) RETURNS int LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $fn$ SELECT coalesce(sum(array_length(u.positions, 1)), 0)::int FROM unnest($1) u $fn$`);
}

/**
 * The trigger function. Writers of one collection serialize on an advisory lock from their first
 * statistics change to commit: without it, two transactions that each delete and insert could
 * lock common lexemes' rows in opposite orders and deadlock. A fresh insert takes the lock only at
 * the end of its statement, after its rows (and their index entries) are written.
 */
export async function ensureBm25Functions(c: pg.ClientBase): Promise<void> {
  await ensurePositionsFunction(c);
  const branch = (op: keyof typeof CHANGED): string => `changed := ${pg.escapeLiteral(CHANGED[op])};`;
  // The statistics tables' names as table-names.ts makes them: the table's name and a suffix.
  const suffix = bm25Tables('');
  await c.query(`CREATE OR REPLACE FUNCTION ${TRACK_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  terms text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME || ${pg.escapeLiteral(suffix.terms)});
  totals text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME || ${pg.escapeLiteral(suffix.totals)});
  log text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME || ${pg.escapeLiteral(suffix.log)});
  changed text;
  rows bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN ${branch('INSERT')}
  ELSIF TG_OP = 'DELETE' THEN ${branch('DELETE')}
  ELSE ${branch('UPDATE')}
  END IF;
  EXECUTE 'SELECT count(*) FROM (' || changed || ') c' INTO rows;
  IF rows = 0 THEN RETURN NULL; END IF;
  PERFORM pg_advisory_xact_lock(hashtext(terms));
  EXECUTE format(${pg.escapeLiteral(applyDelta('%1$s', '%2$s', '%3$s'))}, changed, terms, totals);
  -- The change log, under the lock: its order is the writers' commit order, so a snapshot sees a
  -- prefix of it and a replica that applied up to the snapshot's last entry holds what it holds.
  EXECUTE format('INSERT INTO %s (id, chunk) SELECT DISTINCT id, chunk FROM (%s) c', log, changed);
  EXECUTE format(${pg.escapeLiteral(`WITH d AS (DELETE FROM %1$s WHERE seq <= (SELECT max(seq) FROM %1$s) - ${LOG_KEEP} RETURNING seq)
    UPDATE %2$s SET pruned = greatest(pruned, (SELECT max(seq) FROM d)) WHERE EXISTS (SELECT 1 FROM d)`)}, log, totals);
  RETURN NULL;
END $fn$`);
}

/** The statistics tables and triggers of a new (empty) collection table. */
export async function createBm25Stats(c: pg.ClientBase, table: string): Promise<void> {
  const { terms, totals } = bm25Tables(table);
  const t = id(table);
  await c.query(`CREATE TABLE ${id(terms)} (lexeme text PRIMARY KEY, df bigint NOT NULL, max_tf int, min_dl bigint)`);
  await c.query(`CREATE TABLE ${id(totals)} (n bigint NOT NULL, total_dl bigint NOT NULL)`);
  await c.query(`INSERT INTO ${id(totals)} VALUES (0, 0)`);
  await addBm25Log(c, table);
  await c.query(`CREATE TRIGGER rr_bm25_insert AFTER INSERT ON ${t} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${TRACK_FUNCTION}()`);
  await c.query(`CREATE TRIGGER rr_bm25_update AFTER UPDATE ON ${t} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${TRACK_FUNCTION}()`);
  await c.query(`CREATE TRIGGER rr_bm25_delete AFTER DELETE ON ${t} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${TRACK_FUNCTION}()`);
}

export async function dropBm25Stats(c: pg.ClientBase, table: string): Promise<void> {
  const { terms, totals, log } = bm25Tables(table);
  await c.query(`DROP TABLE IF EXISTS ${id(terms)}, ${id(totals)}, ${id(log)}`);
}

/**
 * The change log that replicas' in-memory postings follow (seq in commit order, the row changed),
 * and the mark below which it was pruned. Also what an upgrade from statistics without a log adds.
 */
export async function addBm25Log(c: pg.ClientBase, table: string): Promise<void> {
  const { totals, log } = bm25Tables(table);
  await c.query(`CREATE TABLE IF NOT EXISTS ${id(log)} (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text NOT NULL, chunk int NOT NULL)`);
  await c.query(`ALTER TABLE ${id(totals)} ADD COLUMN IF NOT EXISTS pruned bigint NOT NULL DEFAULT 0`);
}

/** Of these collection tables, those without their statistics tables (or, with 'log', their change log): one query whatever their number. */
export async function tablesWithoutBm25Stats(c: pg.ClientBase, tables: readonly string[], which: 'terms' | 'log' = 'terms'): Promise<Set<string>> {
  const { rows } = await c.query<{ t: string }>(`SELECT t FROM unnest($1::text[], $2::text[]) AS x(t, terms) WHERE to_regclass(terms) IS NULL`, [
    tables,
    tables.map((t) => id(bm25Tables(t)[which])),
  ]);
  return new Set(rows.map((r) => r.t));
}

/**
 * A collection table made before BM25 (or whose statistics were dropped; see tablesWithoutBm25Stats)
 * gets them here, built from its rows while a table lock holds writers off (they wait, then their
 * triggers apply on top).
 */
export async function buildBm25Stats(c: pg.ClientBase, table: string, collection: string, language: string, log?: StoreLog): Promise<void> {
  const { terms, totals } = bm25Tables(table);
  await c.query(`LOCK TABLE ${id(table)} IN SHARE ROW EXCLUSIVE MODE`);
  const started = performance.now();
  const count = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${id(table)}`);
  log?.info({ collection, rows: count.rows[0]?.n ?? 0 }, `building the BM25 statistics of collection "${collection}" (once, after the upgrade that added them)`);
  await c.query(`ALTER TABLE ${id(table)} ADD COLUMN IF NOT EXISTS ${lengthColumn(pg.escapeLiteral(language))}`);
  await createBm25Stats(c, table);
  await c.query(applyDelta(`SELECT 1 AS s, tsv, dl FROM ${id(table)}`, id(terms), id(totals)));
  log?.info({ collection, seconds: Number(((performance.now() - started) / 1000).toFixed(1)) }, `BM25 statistics of collection "${collection}" built`);
}
