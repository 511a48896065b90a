import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { STATUS_BY_CODE, STORE_ERROR_CODES, type ErrorCode, type StoreErrorCode } from './errors.js';

/** Every metric the service exports, on one injected registry; names carry the prefix, times are seconds. */
export const METRIC_PREFIX = 'reranker_';

/** All buckets live here so dashboards and alerts can rely on them. */
export const BUCKETS = {
  requestSeconds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  stageSeconds: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  batchPairs: [1, 2, 4, 8, 16, 32, 64, 128],
  batchTokens: [64, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768],
  ratio: [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75],
} as const;

/** Stages of one request, in pipeline order; a search runs embed and retrieve before the rerank's. */
export type Stage = 'embed' | 'retrieve_vector' | 'retrieve_lexical' | 'fuse' | 'cache_lookup' | 'tokenize' | 'queue_wait' | 'inference' | 'write' | 'index';

/** Seconds per stage of one request; stages that did not run are absent. */
export type StageTimings = Partial<Record<Stage, number>>;

/**
 * The role a model plays in the API (rerank or embed), and with it the `model` label: series survive
 * swapping one model (or model kind) for another. Each model kind names its role (models/kinds/).
 */
export type ModelRole = keyof typeof CACHE_KIND_BY_MODEL;
/** A model's `model` label (its role for the default model of a role, else its served name), or none for stages of no model. */
export type ModelLabel = string;

/*
 * Label values known before anything happens. Their series are exported at 0 from the start, as
 * Prometheus' instrumentation guide asks ("avoid missing metrics"): a series born at its first event
 * hides that event from rate() and increase(), and a dashboard panel shows "No data" instead of 0.
 * Their counters are typed by these lists (KnownCounter), so tsc refuses an increment with a value no
 * list declares: a new reason cannot be added in one place only.
 */
/** Backpressure: the scheduler's full queue, and a request's deadline or disconnect (engine/abort-reason.ts). */
export const REJECTION_REASONS = ['queue_full', 'deadline', 'client_gone'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];
/** Why a request was refused at the door (http/access.ts): no key, a wrong key, a key that does not open the route. */
export const AUTH_FAILURE_REASONS = ['missing', 'invalid', 'forbidden'] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];
/** Why the worker pool replaced a worker (engine/worker-pool.ts). */
export const WORKER_RESTART_REASONS = ['crash', 'hang'] as const;
export type WorkerRestartReason = (typeof WORKER_RESTART_REASONS)[number];
/** The store pool's gauge (reranker_store_connections). */
export const STORE_CONNECTION_STATES = ['total', 'idle', 'waiting'] as const;
export type StoreConnectionState = (typeof STORE_CONNECTION_STATES)[number];
export const CACHE_RESULTS = ['hit', 'miss'] as const;
/** The value kind a model's cache scope stores (cache/codecs.ts). */
export const CACHE_KIND_BY_MODEL = { reranker: 'score', embedder: 'vector' } as const;
/** Failures per tier (cache/redis-tier.ts); the memory tier has none to count. */
export const REDIS_FAILURE_REASONS = ['timeout', 'unavailable', 'error', 'write', 'write_dropped', 'invalid_value'] as const;
export type CacheErrorReason = (typeof REDIS_FAILURE_REASONS)[number];
export const CACHE_ERROR_REASONS: Readonly<Record<string, readonly CacheErrorReason[]>> = { redis: REDIS_FAILURE_REASONS };

/** A counter that takes only the label values its type declares (the lists above). */
export type KnownCounter<L extends Record<string, string>> = Omit<Counter<Extract<keyof L, string>>, 'inc'> & {
  inc(labels: L, value?: number): void;
};

/** The counter of sequences run, per role: pairs a reranker scored, texts an embedder embedded. */
const SEQUENCES_COUNTED_BY_MODEL = { reranker: 'pairsScored', embedder: 'textsEmbedded' } as const satisfies Record<ModelRole, keyof Metrics>;

/** What the service serves, known once its models and cache are set up. */
export interface ServedSeries {
  /** The models loaded (no embedder with --embedding-model none): each one's role and `model` label. */
  models: readonly { role: ModelRole; label: string }[];
  /** The cache tiers configured, by name (memory, redis); none when the cache is off. */
  cacheTiers: readonly string[];
}

export class Metrics {
  readonly requestDuration: Histogram<'route' | 'method' | 'status'>;
  readonly stageDuration: Histogram<'stage' | 'model'>;
  readonly batchPairs: Histogram<'model'>;
  readonly batchTokens: Histogram<'model'>;
  readonly paddingRatio: Histogram<'model'>;
  readonly queueDepthPairs: Gauge;
  readonly queueDepthTokens: Gauge;
  readonly modelQueueDepth: Gauge<'model'>;
  readonly inFlight: Gauge;
  readonly pairsScored: Counter<'model'>;
  readonly textsEmbedded: Counter<'model'>;
  readonly cacheLookups: Counter<'tier' | 'result' | 'kind'>;
  readonly cacheErrors: KnownCounter<{ tier: string; reason: CacheErrorReason }>;
  readonly errors: KnownCounter<{ code: ErrorCode }>;
  readonly rejections: KnownCounter<{ reason: RejectionReason }>;
  readonly workerRestarts: KnownCounter<{ reason: WorkerRestartReason }>;
  readonly batchIsolations: Counter<'model'>;
  readonly searchStages: KnownCounter<{ model: string; outcome: 'ran' | 'skipped' }>;
  readonly batchRetries: KnownCounter<{ outcome: 'answered' | 'failed' }>;
  readonly storeErrors: KnownCounter<{ code: StoreErrorCode }>;
  readonly lexicalSearches: KnownCounter<{ ranking: 'memory' | 'sql' }>;
  readonly storeConnections: Gauge<'state'>;
  /** Read at each scrape for reranker_store_connections; set once the store is open. */
  storeConnectionsSource: (() => Record<StoreConnectionState, number>) | undefined;
  readonly cacheMemoryBytes: Gauge;
  readonly cacheMemoryEntries: Gauge;
  /** Read at each scrape for the memory tier's gauges; set when a memory tier is configured. */
  cacheMemorySource: (() => { bytes: number; entries: number }) | undefined;
  readonly authFailures: KnownCounter<{ reason: AuthFailureReason }>;
  readonly modelInfo: Gauge<'role' | 'model' | 'onnx_file' | 'max_length' | 'version'>;

  constructor(readonly registry: Registry = new Registry(), opts: { defaultMetrics?: boolean } = {}) {
    const p = METRIC_PREFIX;
    const registers = [registry];
    this.requestDuration = new Histogram({ name: `${p}http_request_duration_seconds`, help: 'HTTP request duration by route and status', labelNames: ['route', 'method', 'status'], buckets: [...BUCKETS.requestSeconds], registers });
    this.stageDuration = new Histogram({ name: `${p}stage_duration_seconds`, help: 'Time per request spent in each pipeline stage', labelNames: ['stage', 'model'], buckets: [...BUCKETS.stageSeconds], registers });
    this.batchPairs = new Histogram({ name: `${p}batch_pairs`, help: 'Sequences (pairs or texts) per inference batch', labelNames: ['model'], buckets: [...BUCKETS.batchPairs], registers });
    this.batchTokens = new Histogram({ name: `${p}batch_tokens`, help: 'Padded tokens per inference batch (sequences x longest sequence)', labelNames: ['model'], buckets: [...BUCKETS.batchTokens], registers });
    this.paddingRatio = new Histogram({ name: `${p}batch_padding_ratio`, help: 'Share of computed tokens that were padding, per batch', labelNames: ['model'], buckets: [...BUCKETS.ratio], registers });
    this.queueDepthPairs = new Gauge({ name: `${p}queue_pairs`, help: 'Pairs waiting for a batch', registers });
    this.queueDepthTokens = new Gauge({ name: `${p}queue_tokens`, help: 'Tokens waiting for a batch', registers });
    this.modelQueueDepth = new Gauge({ name: `${p}model_queue_depth_sequences`, help: 'Sequences (pairs or texts) waiting for inference, per model', labelNames: ['model'], registers });
    this.inFlight = new Gauge({ name: `${p}requests_in_flight`, help: 'Requests being handled', registers });
    this.pairsScored = new Counter({ name: `${p}pairs_scored_total`, help: 'Pairs run through the cross-encoder', labelNames: ['model'], registers });
    this.textsEmbedded = new Counter({ name: `${p}texts_embedded_total`, help: 'Texts run through the embedding model', labelNames: ['model'], registers });
    this.cacheLookups = new Counter({ name: `${p}cache_lookups_total`, help: 'Cache lookups by tier, result and kind (score or vector)', labelNames: ['tier', 'result', 'kind'], registers });
    this.cacheErrors = new Counter({ name: `${p}cache_errors_total`, help: 'Cache tier failures (timeouts, disconnects) by tier and reason', labelNames: ['tier', 'reason'], registers });
    this.errors = new Counter({ name: `${p}errors_total`, help: 'Error answers by stable error code', labelNames: ['code'], registers });
    this.rejections = new Counter({ name: `${p}rejections_total`, help: 'Work refused or dropped by backpressure, by reason', labelNames: ['reason'], registers });
    this.workerRestarts = new Counter({ name: `${p}worker_restarts_total`, help: 'Inference workers replaced after a crash or hang', labelNames: ['reason'], registers });
    this.searchStages = new Counter({ name: `${p}search_stages_total`, help: "/search rerank stages by model and outcome: ran, or skipped by its gate (when) at no inference cost", labelNames: ['model', 'outcome'], registers });
    this.batchIsolations = new Counter({ name: `${p}batch_isolations_total`, help: 'Batches ONNX Runtime refused whose requests were run again apart, so only the one it cannot score fails', labelNames: ['model'], registers });
    this.batchRetries = new Counter({ name: `${p}batch_retries_total`, help: 'Batches run once more on a fresh worker after their worker thread died, by outcome (answered, failed)', labelNames: ['outcome'], registers });
    this.lexicalSearches = new Counter({
      name: `${p}lexical_searches_total`,
      help: "BM25 lexical legs of our own collections by where they ranked: memory (this process's postings) or sql (while those build or catch up, under a metadata filter, or with --lexical-index sql)",
      labelNames: ['ranking'],
      registers,
    });
    this.storeErrors = new Counter({ name: `${p}store_errors_total`, help: 'Failed document store calls by the code they answered (STORE_FULL, STORE_UNAVAILABLE, ...; INTERNAL when unclassified); the log keeps the driver message', labelNames: ['code'], registers });
    this.storeConnections = new Gauge({
      name: `${p}store_connections`,
      help: 'The document store\'s connection pool at scrape time: connections open (total), idle among them, callers waiting for one',
      labelNames: ['state'],
      registers,
      collect: () => {
        const now = this.storeConnectionsSource?.();
        if (now !== undefined) for (const state of STORE_CONNECTION_STATES) this.storeConnections.set({ state }, now[state]);
      },
    });
    // Both gauges read the tier at scrape time, so a soak can tell a cache filling to its budget from a leak.
    this.cacheMemoryBytes = new Gauge({ name: `${p}cache_memory_bytes`, help: 'Bytes the in-process cache tier holds, by the estimate --cache-max-bytes bounds', registers, collect: () => this.cacheMemoryBytes.set(this.cacheMemorySource?.().bytes ?? 0) });
    this.cacheMemoryEntries = new Gauge({ name: `${p}cache_memory_entries`, help: 'Entries (scores and vectors) the in-process cache tier holds', registers, collect: () => this.cacheMemoryEntries.set(this.cacheMemorySource?.().entries ?? 0) });
    this.authFailures = new Counter({ name: `${p}auth_failures_total`, help: 'Requests refused for their API key, by reason (missing, invalid, forbidden)', labelNames: ['reason'], registers });
    this.modelInfo = new Gauge({ name: `${p}model_info`, help: 'The served models, one series per role (value is always 1)', labelNames: ['role', 'model', 'onnx_file', 'max_length', 'version'], registers });
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: p });
    for (const code of Object.keys(STATUS_BY_CODE) as ErrorCode[]) this.errors.inc({ code }, 0);
    for (const reason of REJECTION_REASONS) this.rejections.inc({ reason }, 0);
    for (const reason of WORKER_RESTART_REASONS) this.workerRestarts.inc({ reason }, 0);
    for (const reason of AUTH_FAILURE_REASONS) this.authFailures.inc({ reason }, 0);
    for (const outcome of ['answered', 'failed'] as const) this.batchRetries.inc({ outcome }, 0);
    for (const code of STORE_ERROR_CODES) this.storeErrors.inc({ code }, 0);
    for (const ranking of ['memory', 'sql'] as const) this.lexicalSearches.inc({ ranking }, 0);
  }

  /** Exports at 0 the series that depend on the models loaded and the cache tiers configured; the service calls it once both are known. */
  exportServedSeries({ models, cacheTiers }: ServedSeries): void {
    for (const { role, label } of models) {
      this.countSequences(role, label, 0);
      this.batchIsolations.inc({ model: label }, 0);
      this.modelQueueDepth.set({ model: label }, 0);
      if (role === 'reranker') for (const outcome of ['ran', 'skipped'] as const) this.searchStages.inc({ model: label, outcome }, 0);
    }
    for (const tier of cacheTiers) {
      for (const { role } of models) for (const result of CACHE_RESULTS) this.cacheLookups.inc({ tier, result, kind: CACHE_KIND_BY_MODEL[role] }, 0);
      for (const reason of CACHE_ERROR_REASONS[tier] ?? []) this.cacheErrors.inc({ tier, reason }, 0);
    }
  }

  /** Sequences a batch ran, on its role's counter, under the model's label. */
  countSequences(role: ModelRole, label: string, n: number): void {
    this[SEQUENCES_COUNTED_BY_MODEL[role]].inc({ model: label }, n);
  }
}
