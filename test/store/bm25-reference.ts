import type pg from 'pg';
import type { Bm25Settings } from '../../src/store/document-store.js';

/**
 * BM25 by a plain full scan, for the store's BM25 leg to be checked against: every row's lexemes
 * and their counts come from Postgres's own to_tsvector (the same lexemes the service indexes), and
 * N, df and avgdl are counted here from the rows the test holds, not read from the service's
 * statistics tables. The formula is written out from the issue: Lucene's idf
 * ln(1 + (N - df + 0.5) / (df + 0.5)) times tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl)), summed over
 * the query's distinct lexemes; a document scores as its best row; ties by id.
 */
export interface ReferenceRow {
  id: string;
  text: string;
}

export interface ReferenceHit {
  id: string;
  score: number;
}

/** Each text's lexemes and their position counts, by Postgres's to_tsvector. */
export async function lexemeCounts(sql: pg.Pool | pg.ClientBase, texts: readonly string[], language = 'english'): Promise<Map<string, number>[]> {
  const out = texts.map(() => new Map<string, number>());
  const { rows } = await sql.query<{ ord: string; lexeme: string; tf: number }>(
    `SELECT x.ord, u.lexeme, array_length(u.positions, 1) AS tf FROM unnest($1::text[]) WITH ORDINALITY AS x(text, ord), unnest(to_tsvector($2::regconfig, x.text)) u`,
    [texts, language],
  );
  for (const r of rows) out[Number(r.ord) - 1]?.set(r.lexeme, r.tf);
  return out;
}

export async function bm25Reference(sql: pg.Pool | pg.ClientBase, rows: readonly ReferenceRow[], query: string, k: number, s: Bm25Settings = { k1: 1.2, b: 0.75 }): Promise<{ hits: ReferenceHit[]; matching: number }> {
  const counts = await lexemeCounts(sql, rows.map((r) => r.text));
  const [queryCounts] = await lexemeCounts(sql, [query]);
  const terms = [...(queryCounts ?? new Map<string, number>()).keys()];
  const n = rows.length;
  const lengths = counts.map((m) => [...m.values()].reduce((a, b) => a + b, 0));
  const avgdl = lengths.reduce((a, b) => a + b, 0) / n;
  const df = new Map(terms.map((t) => [t, counts.filter((m) => m.has(t)).length]));
  const best = new Map<string, number>();
  let matching = 0;
  rows.forEach((row, i) => {
    const m = counts[i] as Map<string, number>;
    let score = 0;
    let matched = false;
    for (const t of terms) {
      const tf = m.get(t);
      if (tf === undefined) continue;
      matched = true;
      const d = df.get(t) as number;
      const idf = Math.log(1 + (n - d + 0.5) / (d + 0.5));
      score += (idf * (tf * (s.k1 + 1))) / (tf + s.k1 * (1 - s.b + (s.b * (lengths[i] as number)) / avgdl));
    }
    if (!matched) return;
    matching++;
    best.set(row.id, Math.max(best.get(row.id) ?? -Infinity, score));
  });
  const hits = [...best].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { hits: hits.slice(0, k), matching };
}
