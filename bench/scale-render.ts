import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ScaleRun } from './scale.js';
import { percentile } from './stats.js';

/** Every scale run kept, by store and size: a later run at the same size replaces the earlier (its load figures too, unless it reused the rows). */
export function keepScaleRun(file: string, run: ScaleRun): ScaleRun[] {
  const runs = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ScaleRun[]) : [];
  const same = runs.find((r) => r.store === run.store && r.documents === run.documents);
  // A run of some phases keeps the earlier run's figures for the others.
  const legs = [...(same?.legs ?? []).filter((l) => !run.legs.some((x) => x.leg === l.leg && x.concurrency === l.concurrency)), ...run.legs];
  const kept: ScaleRun = {
    ...run,
    load: run.load ?? same?.load ?? null,
    sizes: run.sizes ?? same?.sizes ?? null,
    legs,
    lexical: run.lexical.scored.length > 0 ? run.lexical : (same?.lexical ?? run.lexical),
    recall: run.recall.length > 0 ? run.recall : (same?.recall ?? []),
    rerankMs: run.rerankMs.length > 0 ? run.rerankMs : (same?.rerankMs ?? []),
    postings: run.postings ?? same?.postings ?? null,
  };
  const next = [...runs.filter((r) => r !== same), kept].sort((a, b) => a.store.localeCompare(b.store) || a.documents - b.documents);
  // Latencies are kept whole: percentiles of another cut can be taken later.
  writeFileSync(file, `${JSON.stringify(next)}\n`);
  return next;
}

const n = (x: number): string => x.toLocaleString('en');
const ms = (xs: readonly number[], p: number): string => percentile(xs, p).toFixed(1);
const mb = (b: number): string => `${n(Math.round(b / 1e6))} MB`;
const leg = (r: ScaleRun, name: string, c: number): number[] => r.legs.find((l) => l.leg === name && l.concurrency === c)?.ms ?? [];

/** A figure at 10M from its growth between two sizes, as a power law: an estimate, said to be one. */
function at10M(small: number, large: number, nSmall: number, nLarge: number): number {
  return large * (large / small) ** (Math.log(1e7 / nLarge) / Math.log(nLarge / nSmall));
}

export function renderScale(runs: readonly ScaleRun[]): string[] {
  const label = (r: ScaleRun): string => `${r.store === 'postgres' ? 'Postgres' : 'PGlite'}, ${n(r.documents)}`;
  const lines = [
    '### The first stage at scale: 384-d vectors, halfvec, BM25 (`npm run bench -- --only scale`)',
    '',
    `Each run: documents of 20-100 words drawn with Zipf's law (s = 1) from a word list (below), with ready 384-d vectors from a seeded mixture of 1,000 Gaussian clusters, loaded through the service's NDJSON route (the HNSW index, m 16 and ef_construction 64, built once after the rows), then the same rows into a \`halfvec\` collection; ${runs[0]?.legs[0]?.ms.length ?? 0} queries of 1-10 words drawn like the documents (every tenth one of the 20 most frequent words alone) with a vector of the same mixture; \`/search\` over HTTP with \`candidates: 100\`, \`rerank: false\` unless said; latencies at the client.`,
    '',
    ...runs.map((r) => `- ${label(r)}: ${r.at} on ${r.machine}; words from ${r.vocabulary}; maintenance_work_mem ${r.indexMemory} for the builds (\`--store-index-memory\`), ${r.store === 'pglite' ? 'PGlite builds on its one thread' : `max_parallel_maintenance_workers ${r.parallelWorkers}`}.`),
    '',
    '| run | load of the vector collection, documents/s: with its index build (rows alone) | HNSW build s (vector / halfvec) | table MB (vector / halfvec) | HNSW index MB (vector / halfvec) | tsvector GIN / BM25 statistics |',
    '|---|---|---|---|---|---|',
    ...runs.map((r) => {
      const l = r.load;
      const s = r.sizes;
      const rowsAlone = l?.indexSeconds == null ? '' : ` (${n(Math.round(r.documents / (l.seconds - l.indexSeconds)))})`;
      return `| ${label(r)} | ${l === null ? 'n/a' : n(Math.round(r.documents / l.seconds))}${rowsAlone} | ${l?.indexSeconds?.toFixed(0) ?? 'n/a'} / ${l?.halfIndexSeconds?.toFixed(0) ?? 'n/a'} | ${s === null ? 'n/a' : `${mb(s.vector.table)} / ${mb(s.halfvec.table)}`} | ${s === null ? 'n/a' : `${mb(s.vector.index)} / ${mb(s.halfvec.index)}`} | ${s === null ? 'n/a' : `${mb(s.gin)} / ${mb(s.bm25)}`} |`;
    }),
    '',
    '| run | leg | p50 / p99 ms, concurrency 1 | p50 / p99 ms, concurrency 4 |',
    '|---|---|---|---|',
    ...runs.flatMap((r) => ['vector', 'halfvec', 'lexical', 'hybrid'].map((name) => `| ${label(r)} | ${name === 'lexical' ? 'lexical (BM25)' : name === 'hybrid' ? 'hybrid (vector + BM25, fused)' : `vector (${name})`} | ${ms(leg(r, name, 1), 50)} / ${ms(leg(r, name, 1), 99)} | ${ms(leg(r, name, 4), 50)} / ${ms(leg(r, name, 4), 99)} |`)),
    '',
    '| run | BM25 rows scored, median / p99 | rows matching, median / p99 (the ts_rank_cd queries) | ts_rank_cd leg (before issue 22) p50 / p99 ms, the same queries | /search with rerank of 100 (int8), p50 / p99 ms |',
    '|---|---|---|---|---|',
    ...runs.map((r) => {
      const x = r.lexical;
      const pct = (xs: number[], p: number): string => (xs.length === 0 ? 'n/a' : n(Math.round(percentile(xs, p))));
      return `| ${label(r)} | ${pct(x.scored, 50)} / ${pct(x.scored, 99)} | ${pct(x.matching, 50)} / ${pct(x.matching, 99)} | ${x.tsRankMs.length === 0 ? 'n/a' : `${ms(x.tsRankMs, 50)} / ${ms(x.tsRankMs, 99)} (first ${x.tsRankMs.length} queries)`} | ${ms(r.rerankMs, 50)} / ${ms(r.rerankMs, 99)} |`;
    }),
    '',
    '| run | ef_search | recall@100 vector / halfvec | p50 ms vector / halfvec |',
    '|---|---|---|---|',
    ...runs.flatMap((r) => r.recall.map((x) => `| ${label(r)} | ${x.ef}${x.ef === 200 ? ' (default: twice candidates)' : ''} | ${x.vector.toFixed(3)} / ${x.halfvec.toFixed(3)} | ${ms(x.vectorMs, 50)} / ${ms(x.halfvecMs, 50)} |`)),
  ];
  lines.push(
    '',
    ...runs
      .filter((r) => r.postings != null)
      .map((r) => {
        const p = r.postings as NonNullable<ScaleRun['postings']>;
        return `- ${label(r)}: the service's BM25 postings (\`--lexical-index memory\`) were built ${p.seconds.toFixed(0)} s after the first lexical search (the SQL leg answered meanwhile); the process's resident memory went from ${mb(p.rssBefore)} to ${mb(p.rssAfter)}.`;
      }),
  );
  const pg = runs.filter((r) => r.store === 'postgres');
  const [small, large] = [pg[0], pg.at(-1)];
  if (small !== undefined && large !== undefined && large.documents > small.documents) {
    const est = (a: number, b: number): string => at10M(a, b, small.documents, large.documents).toFixed(0);
    const p = (r: ScaleRun, name: string, q: number): number => percentile(leg(r, name, 1), q);
    lines.push(
      '',
      `**At 10M documents (an estimate, not a run)**: each figure grown from ${n(small.documents)} to ${n(large.documents)} on Postgres, continued as a power law for another ${(Math.log10(1e7 / large.documents) / Math.log10(large.documents / small.documents)).toFixed(1)} such step(s):`,
      `vector leg p50 / p99 ~${est(p(small, 'vector', 50), p(large, 'vector', 50))} / ${est(p(small, 'vector', 99), p(large, 'vector', 99))} ms; BM25 leg ~${est(p(small, 'lexical', 50), p(large, 'lexical', 50))} / ${est(p(small, 'lexical', 99), p(large, 'lexical', 99))} ms; hybrid ~${est(p(small, 'hybrid', 50), p(large, 'hybrid', 50))} / ${est(p(small, 'hybrid', 99), p(large, 'hybrid', 99))} ms` +
        (small.load !== null && large.load !== null && small.load.indexSeconds !== null && large.load.indexSeconds !== null
          ? `; HNSW build ~${est(small.load.indexSeconds, large.load.indexSeconds)} s; load ~${est(small.load.seconds, large.load.seconds)} s.`
          : '.'),
    );
  }
  return lines;
}
