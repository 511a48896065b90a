/** A row of a collection table with its BM25 score. */
export interface ScoredRow {
  id: string;
  chunk: number;
  score: number;
}

/** The k best documents seen, each by its best chunk. */
export class TopDocuments {
  /** The k-th document's score once there are k, else -Infinity: nothing below it can enter. */
  theta = -Infinity;
  private readonly docs = new Map<string, ScoredRow>();

  constructor(private readonly k: number) {}

  /** Takes a chunk's score; true when the top changed. */
  offer(id: string, chunk: number, score: number): boolean {
    const had = this.docs.get(id);
    if (had !== undefined) {
      if (score < had.score || (score === had.score && chunk >= had.chunk)) return false;
      this.docs.set(id, { id, chunk, score });
      this.refresh();
      return true;
    }
    if (this.docs.size >= this.k) {
      // Below θ never enters; at θ it may, by its id.
      if (score < this.theta) return false;
      const last = this.worst();
      if (byScoreThenId({ id, score }, last) >= 0) return false;
      this.docs.delete(last.id);
    }
    this.docs.set(id, { id, chunk, score });
    this.refresh();
    return true;
  }

  private worst(): ScoredRow {
    let w: ScoredRow | undefined;
    for (const d of this.docs.values()) if (w === undefined || byScoreThenId(d, w) > 0) w = d;
    return w as ScoredRow;
  }

  private refresh(): void {
    this.theta = this.docs.size >= this.k ? this.worst().score : -Infinity;
  }

  sorted(): ScoredRow[] {
    return [...this.docs.values()].sort(byScoreThenId);
  }
}

/** Best score first; ties by id in byte order (what COLLATE "C" gives in SQL): the order of both BM25 legs. */
export function byScoreThenId(a: { id: string; score: number }, b: { id: string; score: number }): number {
  return b.score - a.score || Buffer.compare(Buffer.from(a.id), Buffer.from(b.id));
}
