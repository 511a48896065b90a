import pg from 'pg';
import type { Bm25Settings, SearchHit, StoreLog } from '../document-store.js';
import { Bm25Index, type QueryTerm } from './bm25-index.js';
import { luceneIdf, tfPart, type Bm25Result } from './bm25-search.js';
import type { Relation } from './relation.js';
import { bm25Tables } from './table-names.js';

const { escapeIdentifier: id } = pg;

/*
 * Each process keeps its own BM25 postings of the collections it searches (bm25-index.ts) and
 * follows the table's change log (bm25-stats.ts), so replicas that share a database stay exact
 * without talking to each other. A search reads, in one statement (one snapshot): the query's
 * term statistics, N and total length, the log entries after what this process applied, with
 * those rows as they now are, and the log's last entry. Writers append to the log in commit
 * order, so applying those entries brings the postings to exactly that snapshot, whose statistics
 * then score them: the same top k as the SQL leg (bm25-search.ts), which answers instead while a
 * process builds its postings, is far behind, or the search has a metadata filter.
 */

/**
 * Log entries a search applies itself, on the event loop without a pause (between its snapshot and
 * its scores): a row costs ~40 us to parse and post (200,000 rows in ~8 s, Xeon), so ~500 keep the
 * pause near 20 ms; a longer backlog is caught up in the background.
 */
const INLINE_ENTRIES = 500;
/** Rows per statement while building or catching up in the background. */
const BATCH_ROWS = 5_000;
/**
 * Rows posted between two yields to the event loop while building or catching up: a whole batch
 * at once held it for ~150-230 ms (event-loop delay p99 / max while 200,000 rows were built).
 */
const ROWS_PER_TURN = 250;
/** Tables this small are built inside the first search that needs them (well under a second). */
const BUILD_INLINE_ROWS = 20_000;

export type RunWork = <T>(work: (c: pg.ClientBase) => Promise<T>) => Promise<T>;

interface Replica {
  /** The table's oid: a collection dropped and made again is another table. */
  oid: string;
  index: Bm25Index | undefined;
  /** Building or catching up in the background: searches use the SQL leg until it ends. */
  busy: Promise<void> | undefined;
}

interface Snapshot {
  oid: string;
  n: string;
  total_dl: string;
  pruned: string;
  last: string;
  terms: [string, string, number, string][] | null;
  entries: [string, string, number, string | null, number | null][] | null;
}

export class Bm25Replicas {
  private readonly replicas = new Map<string, Replica>();

  constructor(
    private readonly run: RunWork,
    private readonly log?: StoreLog,
    /** Tables up to this many rows are built inside the first search (tests set 0 to build in the background). */
    private readonly inlineRows = BUILD_INLINE_ROWS,
  ) {}

  /** Resolves once no build or catch-up of `table` runs (for tests and orderly shutdown). */
  async idle(table: string): Promise<void> {
    await this.replicas.get(table)?.busy;
  }

  /**
   * The exact BM25 top k from this process's postings, or undefined when they are not ready (the
   * caller runs the SQL leg). `c` is the search's own transaction.
   */
  async search(c: pg.ClientBase, rel: Relation, table: string, language: string, query: string, k: number, s: Bm25Settings): Promise<Bm25Result | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const replica = this.replicas.get(table);
      const since = replica?.index?.applied ?? 0;
      const snap = await this.snapshot(c, table, language, query, since);
      if (replica === undefined || replica.oid !== snap.oid) {
        await this.start(c, table, snap.oid, Number(snap.n));
        continue;
      }
      const index = replica.index;
      if (index === undefined || replica.busy !== undefined) return undefined;
      const last = Number(snap.last);
      if (since < Number(snap.pruned)) {
        this.rebuild(table, replica);
        return undefined;
      }
      // Another search applied a later snapshot meanwhile: this one's statistics are older than the postings.
      if (last < index.applied) continue;
      const entries = snap.entries ?? [];
      if (entries.length > INLINE_ENTRIES) {
        this.catchUp(table, replica);
        return undefined;
      }
      // From here to the scores nothing awaits: the postings are the snapshot's while they score.
      for (const [seq, rowId, chunk, tsv, dl] of entries) if (Number(seq) > index.applied) index.put(rowId, chunk, tsv, dl ?? 0);
      index.applied = Math.max(index.applied, last);
      const n = Number(snap.n);
      if (n === 0 || snap.terms === null) return { hits: [], scored: 0, rounds: 0 };
      const avgdl = Number(snap.total_dl) / n;
      const terms: QueryTerm[] = snap.terms.map(([lexeme, df, maxTf, minDl]) => {
        const idf = luceneIdf(n, Number(df));
        // As the SQL leg bounds it (bm25-search.ts), so both sum a row's parts in the same order.
        return { lexeme, idf, bound: idf * tfPart(maxTf, Number(minDl), avgdl, s) };
      });
      const found = index.search(terms, k, avgdl, s);
      return { hits: await rowsOf(c, rel, table, found.rows), scored: found.scored, rounds: 1 };
    }
    return undefined;
  }

  private async snapshot(c: pg.ClientBase, table: string, language: string, query: string, since: number): Promise<Snapshot> {
    const { terms, totals, log } = bm25Tables(table);
    const { rows } = await c.query<Snapshot>(
      `WITH q AS (SELECT DISTINCT u.lexeme FROM unnest(to_tsvector($1::regconfig, $2::text)) u),
        e AS (SELECT l.seq, l.id, l.chunk FROM ${id(log)} l WHERE l.seq > $3 ORDER BY l.seq LIMIT ${INLINE_ENTRIES + 1})
      SELECT to_regclass($4)::oid::text AS oid, n.n, n.total_dl, n.pruned, (SELECT coalesce(max(seq), 0) FROM ${id(log)}) AS last,
        (SELECT json_agg(json_build_array(s.lexeme, s.df::text, s.max_tf, s.min_dl::text)) FROM q JOIN ${id(terms)} s ON s.lexeme = q.lexeme WHERE s.df > 0) AS terms,
        (SELECT json_agg(json_build_array(e.seq::text, e.id, e.chunk, t.tsv::text, t.dl) ORDER BY e.seq) FROM e LEFT JOIN ${id(table)} t ON t.id = e.id AND t.chunk = e.chunk) AS entries
      FROM ${id(totals)} n`,
      [language, query, since, id(table)],
    );
    return rows[0] as Snapshot;
  }

  /**
   * A table seen for the first time: a small one is built now, in the search's own transaction (in
   * PGlite another connection would wait for it to end), a large one in the background.
   */
  private async start(c: pg.ClientBase, table: string, oid: string, rows: number): Promise<void> {
    const replica: Replica = { oid, index: undefined, busy: undefined };
    this.replicas.set(table, replica);
    if (rows <= this.inlineRows) replica.index = await this.build(table, (work) => work(c));
    else this.rebuild(table, replica);
  }

  /** A dropped collection's postings go with it. */
  forget(table: string): void {
    this.replicas.delete(table);
  }

  private rebuild(table: string, replica: Replica): void {
    if (replica.busy !== undefined) return;
    const started = performance.now();
    this.log?.info({ table }, 'building the in-memory BM25 postings of a collection (searches use the SQL leg meanwhile)');
    replica.busy = this.build(table, this.run)
      .then((index) => {
        replica.index = index;
        this.log?.info({ table, rows: index.rows, seconds: Number(((performance.now() - started) / 1000).toFixed(1)) }, 'in-memory BM25 postings built');
      })
      .catch((err: unknown) => this.log?.warn({ table, err }, 'building the in-memory BM25 postings failed; the SQL leg answers'))
      .finally(() => (replica.busy = undefined));
  }

  private catchUp(table: string, replica: Replica): void {
    if (replica.busy !== undefined || replica.index === undefined) return;
    const index = replica.index;
    replica.busy = this.follow(table, index, this.run)
      .catch((err: unknown) => {
        replica.index = undefined;
        this.log?.warn({ table, err }, 'catching up the in-memory BM25 postings failed; they will be built again');
      })
      .finally(() => (replica.busy = undefined));
  }

  /**
   * Postings from the rows, in batches of short transactions (PGlite serves one at a time): the log's
   * last entry is read first, so a row that changed while the batches read is in the log after it.
   */
  private async build(table: string, run: RunWork): Promise<Bm25Index> {
    const { log } = bm25Tables(table);
    const index = new Bm25Index();
    index.applied = await run(async (c) => Number((await c.query<{ m: string }>(`SELECT coalesce(max(seq), 0) AS m FROM ${id(log)}`)).rows[0]?.m ?? 0));
    let after: [string, number] | undefined;
    for (;;) {
      const batch = await run(async (c) => {
        const where = after === undefined ? '' : 'WHERE (id, chunk) > ($2, $3)';
        const r = await c.query<{ id: string; chunk: number; tsv: string; dl: number }>(`SELECT id, chunk, tsv::text AS tsv, dl FROM ${id(table)} ${where} ORDER BY id, chunk LIMIT $1`, [BATCH_ROWS, ...(after ?? [])]);
        return r.rows;
      });
      await postYielding(batch, (r) => index.put(r.id, r.chunk, r.tsv, r.dl));
      const tail = batch.at(-1);
      if (tail === undefined || batch.length < BATCH_ROWS) break;
      after = [tail.id, tail.chunk];
    }
    await this.follow(table, index, run);
    return index;
  }

  /** Applies the log after `index.applied`, in batches, until none is left. */
  private async follow(table: string, index: Bm25Index, run: RunWork): Promise<void> {
    const { log } = bm25Tables(table);
    for (;;) {
      const entries = await run(async (c) => {
        const r = await c.query<{ seq: string; id: string; chunk: number; tsv: string | null; dl: number | null }>(
          `SELECT e.seq, e.id, e.chunk, t.tsv::text AS tsv, t.dl FROM (SELECT * FROM ${id(log)} WHERE seq > $1 ORDER BY seq LIMIT $2) e
           LEFT JOIN ${id(table)} t ON t.id = e.id AND t.chunk = e.chunk ORDER BY e.seq`,
          [index.applied, BATCH_ROWS],
        );
        return r.rows;
      });
      // In seq order, so `applied` holds between turns (a search meanwhile sees the replica busy and ranks in SQL).
      await postYielding(entries, (e) => {
        if (Number(e.seq) > index.applied) index.put(e.id, e.chunk, e.tsv, e.dl ?? 0);
        index.applied = Math.max(index.applied, Number(e.seq));
      });
      if (entries.length < BATCH_ROWS) return;
    }
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Calls `post` for each row, letting the event loop turn every ROWS_PER_TURN rows. */
async function postYielding<T>(rows: readonly T[], post: (row: T) => void): Promise<void> {
  for (let at = 0; at < rows.length; at += ROWS_PER_TURN) {
    for (const row of rows.slice(at, at + ROWS_PER_TURN)) post(row);
    await nextTurn();
  }
}

/** The hits' rows (text, metadata, the document's text for a chunk), in the order of `found`. */
async function rowsOf(c: pg.ClientBase, rel: Relation, table: string, found: readonly { id: string; chunk: number; score: number }[]): Promise<SearchHit[]> {
  if (found.length === 0) return [];
  const { rows } = await c.query<{ id: string; chunk: number; text: string; metadata: Record<string, unknown>; doc_text: string | null }>(
    `SELECT t.id, t.chunk, t.text, t.metadata, ${rel.docText('t.id')} AS doc_text FROM ${id(table)} t JOIN unnest($1::text[], $2::int[]) AS f(id, chunk) ON t.id = f.id AND t.chunk = f.chunk`,
    [found.map((f) => f.id), found.map((f) => f.chunk)],
  );
  const byKey = new Map(rows.map((r) => [`${r.chunk}\u0000${r.id}`, r]));
  const hits: SearchHit[] = [];
  for (const f of found) {
    // A row deleted since the snapshot that scored it is left out.
    const r = byKey.get(`${f.chunk}\u0000${f.id}`);
    if (r === undefined) continue;
    const hit: SearchHit = { id: r.id, score: f.score, rank: hits.length + 1, text: r.doc_text ?? r.text, metadata: r.metadata };
    if (r.doc_text !== null) hit.chunk = { index: r.chunk, text: r.text };
    hits.push(hit);
  }
  return hits;
}
