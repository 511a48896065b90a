import { Command } from 'commander';

/** Parts of the benchmark that can run on their own (`--only`). */
export const SECTIONS = ['rerank', 'rewrites', 'embeddings', 'search', 'overload', 'slow-clients', 'memory', 'soak', 'decoder', 'fairness', 'lexical', 'ingest', 'scale'] as const;
export type Section = (typeof SECTIONS)[number];
/**
 * Sections with markdown of their own, run only when --only names them: the soak (20 minutes), the
 * memory steps, the decoder reranker (a 2.4 GB model, ~45 minutes), fair sharing (~6 minutes), the
 * lexical leg on Postgres and the ingest runs.
 */
export const OWN_SECTIONS: readonly Section[] = ['soak', 'memory', 'decoder', 'fairness', 'lexical', 'ingest', 'scale'];
/** What runs without --only. */
const DEFAULT_SECTIONS: readonly Section[] = SECTIONS.filter((s) => !OWN_SECTIONS.includes(s));

export interface BenchOptions {
  model: string;
  embedder: string;
  sections: Section[];
  /** Documents of the generated search collection. */
  searchDocs: number;
  /** Postgres with pgvector for the search section's second store, when one answers. */
  storeUrl: string | undefined;
  queries: number;
  seed: number;
  quick: boolean;
  gemmSeconds: number;
  accuracyQueries: number;
  write: string | undefined;
  /** The soak's length and clients. */
  soakMinutes: number;
  soakClients: number;
  soakCacheMb: number;
  /** The soak's store: the embedded one (default) or --store-url's Postgres. */
  soakStore: 'pglite' | 'postgres';
}

export const DEFAULT_MODEL_DIR = 'models/bench-minilm-l6';
export const DEFAULT_EMBEDDER_DIR = 'models/bench-embed-minilm-l6';

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got ${value}`);
  return n;
}

function badStore(value: string): never {
  throw new Error(`--soak-store must be pglite or postgres, got ${value}`);
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  const cmd = new Command('bench')
    .description('benchmark this service against transformers.js and plain onnxruntime-node, fp32 and int8, on one generated workload')
    .option('--model <dir>', `model folder (forged as minilm-l6 when it is ${DEFAULT_MODEL_DIR} and missing)`, DEFAULT_MODEL_DIR)
    .option('--embedding-model <dir>', `embedding model folder (forged as embed-minilm-l6 when it is ${DEFAULT_EMBEDDER_DIR} and missing)`, DEFAULT_EMBEDDER_DIR)
    .option('--search-docs <n>', 'documents in the search section\'s generated collection (default 100000, 5000 with --quick)')
    .option('--store-url <url>', 'Postgres with pgvector for the search, lexical and ingest sections (default: postgres://postgres@127.0.0.1:5432/test when it answers; none to skip)')
    .option('--only <sections>', `comma-separated sections to run (${SECTIONS.join(', ')}; default all but ${OWN_SECTIONS.join(', ')})`)
    .option('--queries <n>', 'queries of 100 documents each (default 40, 6 with --quick)')
    .option('--seed <n>', 'workload seed', '1')
    .option('--soak-minutes <n>', 'how long the soak runs (default 20, 3 with --quick)')
    .option('--soak-clients <n>', 'closed-loop clients of the soak', '4')
    .option('--soak-cache-mb <n>', 'the soak service\'s cache (--cache-max-bytes) in MiB, small enough to fill within the warm-up; 0 for none', '16')
    .option('--soak-store <store>', 'the soak\'s store: pglite (embedded, default) or postgres (--store-url)', 'pglite')
    .option('--quick', 'a shorter run (~15-20 minutes on 2 cores): fewer queries, 5,000 search documents, shorter GEMM timing, smaller accuracy check')
    .option('--write [file]', 'also rewrite the marked section of this markdown file (default BENCHMARKS.md)')
    .parse(argv);
  const o = cmd.opts<{ model: string; embeddingModel: string; only?: string; queries?: string; searchDocs?: string; storeUrl?: string; seed: string; quick?: boolean; write?: string | boolean; soakMinutes?: string; soakClients: string; soakStore: string; soakCacheMb: string }>();
  const quick = o.quick === true;
  const sections = (o.only?.split(',').map((x) => x.trim()) ?? [...DEFAULT_SECTIONS]) as Section[];
  for (const s of sections) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s} (${SECTIONS.join(', ')})`);
  return {
    model: o.model,
    embedder: o.embeddingModel,
    sections,
    searchDocs: o.searchDocs === undefined ? (quick ? 5000 : 100_000) : positive('--search-docs', o.searchDocs),
    storeUrl: o.storeUrl === 'none' ? undefined : (o.storeUrl ?? 'postgres://postgres@127.0.0.1:5432/test'),
    queries: o.queries === undefined ? (quick ? 6 : 40) : positive('--queries', o.queries),
    seed: positive('--seed', o.seed),
    quick,
    gemmSeconds: quick ? 1 : 3,
    accuracyQueries: quick ? 3 : 20,
    write: o.write === undefined || o.write === false ? undefined : o.write === true ? 'BENCHMARKS.md' : o.write,
    soakMinutes: o.soakMinutes === undefined ? (quick ? 3 : 20) : positive('--soak-minutes', o.soakMinutes),
    soakClients: positive('--soak-clients', o.soakClients),
    soakCacheMb: o.soakCacheMb === '0' ? 0 : positive('--soak-cache-mb', o.soakCacheMb),
    soakStore: o.soakStore === 'postgres' ? 'postgres' : o.soakStore === 'pglite' ? 'pglite' : badStore(o.soakStore),
  };
}
