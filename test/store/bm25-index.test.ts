import { describe, expect, it } from 'vitest';
import { Bm25Index, type QueryTerm } from '../../src/store/sql/bm25-index.js';
import { parseTsvector } from '../../src/store/sql/tsvector-text.js';
import { seeded } from './store-fixtures.js';

/**
 * The in-memory postings (issue 22) against a brute force written here: every live row scored on
 * every query term with the formula spelled out, documents by their best chunk, ties by id in
 * byte order. Rows are replaced and deleted between queries, past the point where the index
 * compacts its lists, so MaxScore's skipping, the tie rules and compaction all meet the reference.
 */
describe('parseTsvector', () => {
  it("reads lexemes and their position counts from a tsvector's text form", () => {
    expect(parseTsvector(`'a':3 'b':4 'it':1 'o':5,7 's':2`)).toEqual([['a', 1], ['b', 1], ['it', 1], ['o', 2], ['s', 1]]);
    expect(parseTsvector(`'ab':1A,3A 'cd':2B`)).toEqual([['ab', 2], ['cd', 1]]);
    expect(parseTsvector(`'it''s':1,2,3 'back\\\\slash':4`)).toEqual([["it's", 3], ['back\\slash', 1]]);
    // A stripped tsvector has no positions: each lexeme once.
    expect(parseTsvector(`'ab' 'cd'`)).toEqual([['ab', 1], ['cd', 1]]);
    expect(parseTsvector('')).toEqual([]);
  });
});

interface Row {
  id: string;
  chunk: number;
  tfs: Map<string, number>;
}

const S = { k1: 1.2, b: 0.75 };

function tsvText(tfs: Map<string, number>): string {
  let at = 1;
  return [...tfs].map(([l, tf]) => `'${l}':${Array.from({ length: tf }, () => at++).join(',')}`).join(' ');
}

function brute(rows: readonly Row[], query: readonly string[], k: number): { terms: QueryTerm[]; avgdl: number; top: { id: string; chunk: number; score: number }[] } {
  const n = rows.length;
  const dl = (r: Row): number => [...r.tfs.values()].reduce((a, b) => a + b, 0);
  const avgdl = rows.reduce((a, r) => a + dl(r), 0) / n;
  const terms: QueryTerm[] = [];
  for (const lexeme of new Set(query)) {
    const holders = rows.filter((r) => r.tfs.has(lexeme));
    if (holders.length === 0) continue;
    const idf = Math.log(1 + (n - holders.length + 0.5) / (holders.length + 0.5));
    const bound = Math.max(...holders.map((r) => r.tfs.get(lexeme) as number)) * (S.k1 + 1);
    // A loose bound is still a bound: the largest tf over the shortest row's denominator.
    const minDl = Math.min(...holders.map(dl));
    const maxTf = Math.max(...holders.map((r) => r.tfs.get(lexeme) as number));
    terms.push({ lexeme, idf, bound: Math.min(idf * bound, (idf * maxTf * (S.k1 + 1)) / (maxTf + S.k1 * (1 - S.b + (S.b * minDl) / avgdl))) });
  }
  // Summed in the SQL leg's order (bound descending, then lexeme): identical rows tie exactly.
  terms.sort((a, b) => b.bound - a.bound || (a.lexeme < b.lexeme ? -1 : 1));
  const best = new Map<string, { id: string; chunk: number; score: number }>();
  for (const r of rows) {
    let score = 0;
    let any = false;
    for (const t of terms) {
      const tf = r.tfs.get(t.lexeme);
      if (tf === undefined) continue;
      any = true;
      score += (t.idf * tf * (S.k1 + 1)) / (tf + S.k1 * (1 - S.b + (S.b * dl(r)) / avgdl));
    }
    if (!any) continue;
    const had = best.get(r.id);
    if (had === undefined || score > had.score || (score === had.score && r.chunk < had.chunk)) best.set(r.id, { id: r.id, chunk: r.chunk, score });
  }
  const top = [...best.values()].sort((a, b) => b.score - a.score || Buffer.compare(Buffer.from(a.id), Buffer.from(b.id))).slice(0, k);
  return { terms, avgdl, top };
}

describe('Bm25Index', () => {
  it('answers the exact top k through replacements, deletes and compaction', () => {
    const rand = seeded(7);
    const vocab = Array.from({ length: 60 }, (_, i) => `w${i}`);
    const word = (): string => vocab[Math.max(0, Math.min(vocab.length - 1, Math.floor(1 / (rand() + 0.017)) - 1))] as string;
    const makeTfs = (): Map<string, number> => {
      const m = new Map<string, number>();
      for (let i = 0, n = 1 + Math.floor(rand() * 12); i < n; i++) m.set(word(), (m.get(word()) ?? 0) + 1);
      // A few repeated words, so tf varies; ties come from identical rows.
      return m.size > 0 ? m : new Map([['w0', 1]]);
    };
    const index = new Bm25Index();
    const live = new Map<string, Row>();
    const put = (id: string, chunk: number, tfs: Map<string, number> | null): void => {
      const key = `${chunk}:${id}`;
      if (tfs === null) live.delete(key);
      else live.set(key, { id, chunk, tfs });
      index.put(id, chunk, tfs === null ? null : tsvText(tfs), tfs === null ? 0 : [...tfs.values()].reduce((a, b) => a + b, 0));
    };
    // Some documents in several chunks; some rows identical, for ties.
    const same = makeTfs();
    for (let i = 0; i < 1500; i++) put(`d${i % 1200}`, Math.floor(i / 1200), i % 97 === 0 ? same : makeTfs());
    let checked = 0;
    let pruned = 0;
    for (let round = 0; round < 6; round++) {
      for (let q = 0; q < 25; q++) {
        const query = Array.from({ length: 1 + Math.floor(rand() * 6) }, word);
        const k = [1, 5, 10, 50][q % 4] as number;
        const want = brute([...live.values()], query, k);
        const got = index.search(want.terms, k, want.avgdl, S);
        expect(got.rows.map((r) => `${r.id}#${r.chunk}`), `round ${round}, query ${query.join(' ')}, k ${k}`).toEqual(want.top.map((r) => `${r.id}#${r.chunk}`));
        got.rows.forEach((r, i) => expect(Math.abs(r.score - (want.top[i]?.score ?? NaN))).toBeLessThan(1e-9));
        const matching = [...live.values()].filter((r) => query.some((w) => r.tfs.has(w))).length;
        if (got.scored < matching) pruned++;
        checked++;
      }
      // Replace a third and delete a sixth of the rows: past the dead rows' count that compacts.
      for (const key of [...live.keys()]) {
        const r = live.get(key) as Row;
        const x = rand();
        if (x < 0.33) put(r.id, r.chunk, makeTfs());
        else if (x < 0.5) put(r.id, r.chunk, null);
      }
      for (let i = 0; i < 200; i++) put(`n${round}-${i}`, 0, makeTfs());
    }
    expect(checked).toBe(150);
    // MaxScore skipped rows on some queries (the common words' lists).
    expect(pruned).toBeGreaterThan(10);
    expect(index.rows).toBe(live.size);
  });
});
