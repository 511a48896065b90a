import type { Bm25Settings } from '../document-store.js';
import { parseTsvector } from './tsvector-text.js';
import { TopDocuments, type ScoredRow } from './top-documents.js';

/*
 * A collection's BM25 postings in this process's memory (issue 22): per lexeme the rows holding it
 * (ascending row numbers) and its tf in each, per row its length. The database stays the source of
 * truth: bm25-replica.ts fills this from the table and follows its change log; N, df and the bounds
 * come from the statistics tables read in the same snapshot, so scores equal the SQL leg's.
 *
 * Why memory: a query of a few common words matches most of a million rows, and Postgres reads
 * each candidate row from the heap (~5 us a row here), so exact BM25 in SQL cost ~1 s at 1M
 * documents. Here a posting is 6 bytes in a typed array and the top k comes from MaxScore over
 * the lists in row order (the technique of Lucene's and Tantivy's scorers), skipping rows whose
 * best possible score cannot reach the k-th.
 */

/** A lexeme of a query, with its statistics. */
export interface QueryTerm {
  lexeme: string;
  idf: number;
  /** The most this lexeme adds to any row's score (idf x the tf part at its largest tf and shortest row). */
  bound: number;
}

export type { ScoredRow } from './top-documents.js';

interface Postings {
  rows: Int32Array;
  tfs: Uint16Array;
  n: number;
  /** Per block of BLOCK entries: the largest tf and the shortest row, which bound the block's scores. */
  blockTf: Uint16Array;
  blockDl: Int32Array;
}

/** Entries per block of a list (block-max skipping). */
const BLOCK_BITS = 7;

function grow<T extends Int32Array | Uint16Array | Uint8Array>(a: T, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  const b = make(Math.max(need, a.length * 2, 8));
  b.set(a);
  return b;
}

export class Bm25Index {
  /** The change log's sequence number this index holds every change up to. */
  applied = 0;
  private size = 0;
  private ids: string[] = [];
  private chunks = new Int32Array(0);
  private dls = new Int32Array(0);
  private alive = new Uint8Array(0);
  private readonly rowOf = new Map<string, number>();
  private readonly lists = new Map<string, Postings>();
  private dead = 0;

  get rows(): number {
    return this.rowOf.size;
  }

  /** The row `id`/`chunk` as it now is: its tsvector text and length, or null once deleted. */
  put(id: string, chunk: number, tsv: string | null, dl: number): void {
    const key = `${chunk}\u0000${id}`;
    const old = this.rowOf.get(key);
    if (old !== undefined) {
      this.alive[old] = 0;
      this.rowOf.delete(key);
      this.dead++;
    }
    if (tsv === null) return;
    const r = this.size++;
    this.chunks = grow(this.chunks, this.size, (n) => new Int32Array(n));
    this.dls = grow(this.dls, this.size, (n) => new Int32Array(n));
    this.alive = grow(this.alive, this.size, (n) => new Uint8Array(n));
    this.ids[r] = id;
    this.chunks[r] = chunk;
    this.dls[r] = dl;
    this.alive[r] = 1;
    this.rowOf.set(key, r);
    for (const [lexeme, tf] of parseTsvector(tsv)) {
      let p = this.lists.get(lexeme);
      if (p === undefined) this.lists.set(lexeme, (p = { rows: new Int32Array(4), tfs: new Uint16Array(4), n: 0, blockTf: new Uint16Array(1), blockDl: new Int32Array(1) }));
      p.rows = grow(p.rows, p.n + 1, (n) => new Int32Array(n));
      p.tfs = grow(p.tfs, p.n + 1, (n) => new Uint16Array(n));
      p.rows[p.n] = r;
      p.tfs[p.n] = Math.min(tf, 65_535);
      noteBlock(p, p.n++, dl);
    }
    if (this.dead > 1024 && this.dead > this.rowOf.size) this.compact();
  }

  /** Drops deleted rows from the lists once they outnumber the live ones (row numbers keep their order). */
  private compact(): void {
    const renumber = new Int32Array(this.size).fill(-1);
    let next = 0;
    for (let r = 0; r < this.size; r++) {
      if (this.alive[r] !== 1) continue;
      renumber[r] = next;
      this.ids[next] = this.ids[r] as string;
      this.chunks[next] = this.chunks[r] as number;
      this.dls[next] = this.dls[r] as number;
      this.alive[next] = 1;
      this.rowOf.set(`${this.chunks[next]}\u0000${this.ids[next]}`, next);
      next++;
    }
    this.ids.length = next;
    this.alive.fill(0, next);
    this.size = next;
    this.dead = 0;
    for (const [lexeme, p] of this.lists) {
      let n = 0;
      for (let i = 0; i < p.n; i++) {
        const to = renumber[p.rows[i] as number] as number;
        if (to < 0) continue;
        p.rows[n] = to;
        p.tfs[n++] = p.tfs[i] as number;
      }
      if (n === 0) this.lists.delete(lexeme);
      else p.n = n;
      for (let i = 0; i < n; i++) noteBlock(p, i, this.dls[p.rows[i] as number] as number);
    }
  }

  /**
   * The exact BM25 top k documents (a document by its best chunk, the lower chunk on a tie; ties
   * between documents by id in byte order), and how many rows were scored. MaxScore: terms by
   * bound, smallest first; once the k-th document's score θ is known, the leading terms whose
   * bounds sum below θ cannot make a row reach it alone, so only the other terms' lists propose
   * rows, and a proposed row stops being scored once its score plus the remaining bounds is below θ.
   */
  search(terms: readonly QueryTerm[], k: number, avgdl: number, s: Bm25Settings): { rows: ScoredRow[]; scored: number } {
    // A row's score is summed in one order whatever path found it (the SQL leg's: bound descending,
    // then lexeme), so identical rows score identically and their tie goes by id, as in SQL.
    const canonical = [...terms].sort((a, b) => b.bound - a.bound || (a.lexeme < b.lexeme ? -1 : a.lexeme > b.lexeme ? 1 : 0));
    const t = canonical.map((term, c) => ({ ...term, c, p: this.lists.get(term.lexeme) })).filter((x) => x.p !== undefined && x.p.n > 0) as Term[];
    // MaxScore wants the smallest bounds first.
    t.reverse();
    const prefix: number[] = [];
    t.reduce((sum, x, i) => (prefix[i] = sum + x.bound), 0);
    const parts = new Float64Array(canonical.length);
    const pos = new Int32Array(t.length);
    const top = new TopDocuments(k);
    let essential = 0;
    let scored = 0;
    // Below θ by more than rounding: bounds and scores are summed in different orders.
    const below = (x: number): boolean => x * (1 + 1e-9) < top.theta;
    // The SQL leg's formula, in its order of operations: for a row's parts and a block's bound alike.
    const termScore = (idf: number, tf: number, dl: number): number => (idf * tf * (s.k1 + 1)) / (tf + s.k1 * (1 - s.b + (s.b * dl) / avgdl));
    const part = (x: Term, i: number, r: number): number => termScore(x.idf, x.p.tfs[i] as number, this.dls[r] as number);
    const blockBound = (x: Term, b: number): number => termScore(x.idf, x.p.blockTf[b] as number, x.p.blockDl[b] as number);
    for (;;) {
      // One list left proposing rows (one term, or the others' bounds under θ): a block whose best
      // row plus every other term's bound stays below θ is skipped whole.
      if (essential === t.length - 1) {
        const x = t[essential] as Term;
        const rest = essential === 0 ? 0 : (prefix[essential - 1] as number);
        let i = pos[essential] as number;
        while (i < x.p.n && below(blockBound(x, i >> BLOCK_BITS) + rest)) i = ((i >> BLOCK_BITS) + 1) << BLOCK_BITS;
        pos[essential] = Math.min(i, x.p.n);
      }
      let r = Infinity;
      for (let j = essential; j < t.length; j++) {
        const x = t[j] as Term;
        if ((pos[j] as number) < x.p.n) r = Math.min(r, x.p.rows[pos[j] as number] as number);
      }
      if (r === Infinity) break;
      parts.fill(0);
      let score = 0;
      for (let j = essential; j < t.length; j++) {
        const x = t[j] as Term;
        const i = pos[j] as number;
        if (i < x.p.n && x.p.rows[i] === r) {
          if (this.alive[r] === 1) score += parts[x.c] = part(x, i, r);
          pos[j] = i + 1;
        }
      }
      if (this.alive[r] !== 1) continue;
      scored++;
      let possible = true;
      for (let j = essential - 1; j >= 0; j--) {
        if (below(score + (prefix[j] as number))) {
          possible = false;
          break;
        }
        const x = t[j] as Term;
        const i = seek(x.p, pos[j] as number, r);
        pos[j] = i;
        if (i < x.p.n && x.p.rows[i] === r) score += parts[x.c] = part(x, i, r);
      }
      if (!possible) continue;
      let exact = 0;
      for (const v of parts) exact += v;
      if (!top.offer(this.ids[r] as string, this.chunks[r] as number, exact)) continue;
      while (essential < t.length && below(prefix[essential] as number)) essential++;
    }
    return { rows: top.sorted(), scored };
  }
}

type Term = QueryTerm & { c: number; p: Postings };

/** Entry i (just written) into its block's bounds. */
function noteBlock(p: Postings, i: number, dl: number): void {
  const b = i >> BLOCK_BITS;
  p.blockTf = grow(p.blockTf, b + 1, (n) => new Uint16Array(n));
  p.blockDl = grow(p.blockDl, b + 1, (n) => new Int32Array(n));
  const tf = p.tfs[i] as number;
  if ((i & ((1 << BLOCK_BITS) - 1)) === 0) {
    p.blockTf[b] = tf;
    p.blockDl[b] = dl;
  } else {
    p.blockTf[b] = Math.max(p.blockTf[b] as number, tf);
    p.blockDl[b] = Math.min(p.blockDl[b] as number, dl);
  }
}

/** The first index at or after `from` whose row is at least `r` (galloping, then binary search). */
function seek(p: Postings, from: number, r: number): number {
  let lo = from;
  let step = 1;
  let hi = from;
  while (hi < p.n && (p.rows[hi] as number) < r) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  hi = Math.min(hi, p.n);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((p.rows[mid] as number) < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
