import pg from 'pg';
import type { Bm25Settings, SearchHit } from '../document-store.js';
import type { CompiledFilter } from './filter-sql.js';
import type { Relation } from './relation.js';
import { runSearch } from './search-sql.js';
import { SqlParams } from './sql-params.js';
import { bm25Tables } from './table-names.js';
import { byScoreThenId } from './top-documents.js';

const { escapeIdentifier: id } = pg;

/*
 * The lexical leg of a collection of ours (issue 22): BM25 over the chunk rows, with Lucene's idf,
 * ln(1 + (N - df + 0.5) / (df + 0.5)), and tf x (k1 + 1) / (tf + k1 x (1 - b + b x dl / avgdl)),
 * tf and dl from the tsvector's positions, N, df and avgdl from the statistics tables (sql/bm25-stats.ts).
 *
 * Rank-safe pruning (MaxScore): each query lexeme has an upper bound on what it adds to any row
 * (its idf x the tf part at its largest tf and shortest row). The rows matching the lexemes with the
 * largest bounds (as many as fit ESSENTIAL_ROWS, at least one lexeme) are scored on every lexeme;
 * the k-th best document's score is θ. A row matching none of them scores at most the sum of the
 * other lexemes' bounds: when that is below θ the top k is exact. Otherwise the lexemes needed to
 * bring the sum below θ join, and the next round scores the rows that match them and none of the
 * earlier ones: no row is scored twice. Rounds merge here, a document by its best chunk, ties by id
 * in byte order (COLLATE "C" in SQL, the same order whatever the database's collation).
 */

/**
 * Rows (by the lexemes' document frequencies) the first round may match before it stops adding
 * lexemes. Later rounds score only new rows, so a small first round costs little when it is not enough.
 */
const ESSENTIAL_ROWS = 2_000;

interface LexemeStat {
  lexeme: string;
  df: number;
  idf: number;
  /** The most this lexeme adds to any row's score. */
  bound: number;
}

export interface Bm25Result {
  hits: SearchHit[];
  /** Chunk rows scored over all rounds, and the rounds. */
  scored: number;
  rounds: number;
}

export function luceneIdf(n: number, df: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** The tf part of a row's score for one lexeme. */
export function tfPart(tf: number, dl: number, avgdl: number, s: Bm25Settings): number {
  return (tf * (s.k1 + 1)) / (tf + s.k1 * (1 - s.b + (s.b * dl) / avgdl));
}

/** The query's distinct lexemes that some row holds, with their statistics, and the table's N and avgdl. */
async function queryStats(c: pg.ClientBase, table: string, language: string, query: string, s: Bm25Settings): Promise<{ lexemes: LexemeStat[]; avgdl: number }> {
  const { terms, totals } = bm25Tables(table);
  const { rows } = await c.query<{ lexeme: string; df: string; max_tf: number; min_dl: string; n: string; total_dl: string }>(
    `WITH q AS (SELECT DISTINCT u.lexeme FROM unnest(to_tsvector($1::regconfig, $2::text)) u)
     SELECT s.lexeme, s.df, s.max_tf, s.min_dl, n.n, n.total_dl FROM q JOIN ${id(terms)} s ON s.lexeme = q.lexeme, ${id(totals)} n WHERE s.df > 0`,
    [language, query],
  );
  const first = rows[0];
  if (first === undefined) return { lexemes: [], avgdl: 0 };
  const n = Number(first.n);
  const avgdl = Number(first.total_dl) / n;
  const lexemes = rows.map((r) => {
    const df = Number(r.df);
    const idf = luceneIdf(n, df);
    return { lexeme: r.lexeme, df, idf, bound: idf * tfPart(r.max_tf, Number(r.min_dl), avgdl, s) };
  });
  // Largest bound first; ties by lexeme so the rounds are the same on every run.
  lexemes.sort((a, b) => b.bound - a.bound || (a.lexeme < b.lexeme ? -1 : a.lexeme > b.lexeme ? 1 : 0));
  return { lexemes, avgdl };
}

/**
 * The statement scoring, on all of `lexemes`, every row that matches one of lexemes [from, to) and
 * none before `from`: each document's best chunk, the top k by score with ties by id, and how many
 * rows it scored.
 */
function scoreStatement(rel: Relation, lexemes: readonly LexemeStat[], from: number, to: number, avgdl: number, s: Bm25Settings, k: number, filter: CompiledFilter): { text: string; values: unknown[] } {
  const p = new SqlParams(filter.values);
  const ess = p.add(lexemes.slice(from, to).map((l) => l.lexeme));
  const before = p.add(lexemes.slice(0, from).map((l) => l.lexeme));
  const [k1, b, avg] = [p.add(s.k1), p.add(s.b), p.add(avgdl)];
  // A lexeme's tf in a row is ts_rank_cd of that lexeme alone with every weight 1 and no
  // normalization: each occurrence is a cover of its own, worth 1. It reads the tsvector in place,
  // where unnest() builds a row per lexeme (~1 us against ~25 us a row; checked equal to the
  // positions' count on 96,481 row-lexeme pairs and at the 255-position cap).
  const tfs = lexemes.map((l, i) => `ts_rank_cd('{1,1,1,1}'::float4[], t.tsv, quote_literal(${p.add(l.lexeme)}::text)::tsquery, 0)::float8 AS tf${i}`);
  // A row without the lexeme adds 0 (also where k1 is 0, whose formula would be 0 / 0 there).
  const terms = lexemes.map(
    (l, i) => `CASE WHEN f.tf${i} > 0 THEN ${p.add(l.idf)}::float8 * f.tf${i} * (${k1}::float8 + 1) / (f.tf${i} + ${k1}::float8 * (1 - ${b}::float8 + ${b}::float8 * t.dl / ${avg}::float8)) ELSE 0 END`,
  );
  // OFFSET 0 keeps the tf subquery from being flattened into the sum, which would compute each tf twice.
  const any = (param: string): string => `(SELECT string_agg(quote_literal(l), ' | ')::tsquery FROM unnest(${param}::text[]) AS l)`;
  // A round after the first leaves out the rows an earlier one scored (coalesce: the first has none to leave out).
  const text = `WITH e AS (SELECT ${any(ess)} AS query, ${any(before)} AS before),
    hits AS MATERIALIZED (
      SELECT t.id, t.chunk, t.text, t.metadata, ${terms.join(' + ')} AS score
      FROM ${rel.from} CROSS JOIN e CROSS JOIN LATERAL (SELECT ${tfs.join(', ')} OFFSET 0) f
      WHERE t.tsv @@ e.query AND NOT coalesce(t.tsv @@ e.before, false) AND ${filter.sql}),
    best AS (SELECT DISTINCT ON (id) * FROM hits ORDER BY id, score DESC, chunk)
    SELECT b.id, b.chunk, b.text, b.metadata, b.score, ${rel.docText('b.id')} AS doc_text, (SELECT count(*)::int FROM hits) AS scanned
    FROM best b ORDER BY b.score DESC, b.id COLLATE "C" LIMIT ${p.add(k)}`;
  return { text, values: p.values };
}

/** How many of the largest-bound lexemes the first round matches: those whose rows fit `budget`, at least one. */
function firstEssential(lexemes: readonly LexemeStat[], budget = ESSENTIAL_ROWS): number {
  let rows = 0;
  let n = 0;
  for (const l of lexemes) {
    if (n > 0 && rows + l.df > budget) break;
    rows += l.df;
    n++;
  }
  return n;
}

/** The fewest leading lexemes whose rows must be scored so that a row matching none of them scores below θ. */
function essentialFor(lexemes: readonly LexemeStat[], theta: number): number {
  let rest = lexemes.reduce((sum, l) => sum + l.bound, 0);
  for (let n = 0; n < lexemes.length; n++) {
    // A margin for rounding: the bounds are summed here, the scores in SQL.
    if (rest * (1 + 1e-9) < theta) return n;
    rest -= (lexemes[n] as LexemeStat).bound;
  }
  return lexemes.length;
}

/**
 * The exact BM25 top k documents of an owned collection for `query` (see the file's comment);
 * `budget` is ESSENTIAL_ROWS but for the tests, which make small collections take several rounds.
 */
export async function bm25Search(c: pg.ClientBase, rel: Relation, table: string, language: string, query: string, k: number, s: Bm25Settings, filter: CompiledFilter, budget = ESSENTIAL_ROWS): Promise<Bm25Result> {
  const { lexemes, avgdl } = await queryStats(c, table, language, query, s);
  if (lexemes.length === 0) return { hits: [], scored: 0, rounds: 0 };
  let from = 0;
  let to = firstEssential(lexemes, budget);
  let scored = 0;
  const best = new Map<string, SearchHit>();
  for (let rounds = 1; ; rounds++) {
    const { hits, scanned } = await runSearch(c, scoreStatement(rel, lexemes, from, to, avgdl, s, k, filter));
    scored += scanned;
    // A document whose chunks matched in different rounds keeps its best one (the lower chunk on a tie).
    for (const h of hits) {
      const had = best.get(h.id);
      if (had === undefined || h.score > had.score || (h.score === had.score && (h.chunk?.index ?? 0) < (had.chunk?.index ?? 0))) best.set(h.id, h);
    }
    const top = [...best.values()].sort(byScoreThenId).slice(0, k);
    // Fewer than k documents: any row left out could enter the top k, unless none is left out.
    const theta = top.length < k ? 0 : (top[k - 1] as SearchHit).score;
    const needed = top.length < k ? lexemes.length : essentialFor(lexemes, theta);
    if (needed <= to) return { hits: top.map((h, i) => ({ ...h, rank: i + 1 })), scored, rounds };
    [from, to] = [to, needed];
  }
}
