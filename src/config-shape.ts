import type { Precision } from './models/precision.js';
import type { TruncationDirection } from './text/truncation.js';

/** The typed config object's parts: built once by config.ts from flags and environment variables. */

export interface Limits {
  /** Documents one request may carry; the engine splits them into batches itself. */
  maxDocuments: number;
  /** Request body size in bytes. */
  maxBodyBytes: number;
  /** Characters in one document (after rank_fields are joined) and in the query. */
  maxDocumentChars: number;
}

export interface EngineSettings {
  /** Worker threads; undefined means the engine derives it from the CPU count. 0 is in-process. */
  workers: number | undefined;
  /** Memory the inference workers may take together (every worker holds every model); undefined: half the machine's or container's. */
  workerMemoryBytes: number | undefined;
  /** Tokenizer threads; undefined means the engine derives it from the CPU count. */
  tokenizerThreads: number | undefined;
  batchWaitMs: number;
  maxQueuePairs: number;
  maxQueueMs: number;
  /** 0 means no default deadline. */
  requestTimeoutMs: number;
  workerTimeoutMs: number;
}

export interface CacheSettings {
  /** 0 disables the memory tier. */
  maxBytes: number;
  ttlSeconds: number;
  redisUrl: string | undefined;
  redisTimeoutMs: number;
  redisKeyPrefix: string;
}

export interface StoreSettings {
  /** postgres://… for Postgres with pgvector; undefined for the embedded PGlite store; 'none' turns the store off. */
  url: string | undefined;
  /** Where the embedded store keeps its files. */
  dataDir: string;
  /** A store query running longer is cancelled (504 STORE_TIMEOUT). */
  timeoutMs: number;
  /** Connections to the store. */
  poolSize: number;
  /** The schema that holds every table the service creates (registry and collections); attached tables keep their own. */
  schema: string;
  /**
   * maintenance_work_mem while the service builds an HNSW index (e.g. 4GB): pgvector builds in
   * memory while the graph fits and much more slowly on disk after. Undefined: the server's setting.
   */
  indexMemory?: string | undefined;
  /** Where BM25 ranks a collection of ours: this process's postings (following the change log) or SQL alone. */
  lexicalIndex?: 'memory' | 'sql' | undefined;
}

/** One model the service loads: where it comes from, what clients call it, which file runs. */
export interface ModelEntry {
  /** Model folder (Hugging Face layout) or hub repo id. */
  source: string;
  /** The name requests pick it by and responses carry; undefined: the folder's name. */
  servedName: string | undefined;
  onnxFile: string | undefined;
  /** Which of the folder's files runs: fp32, int8 (the CPU's file, else quantized at start), or auto (models/precision.ts). */
  precision: Precision;
}

export interface EmbedderSettings {
  /** The embedding models (--embedding-model, repeatable), the first the default; empty when turned off (`none`). */
  models: ModelEntry[];
  maxLength: number | undefined;
}

/** How the HTTP server treats slow, idle and numerous clients. */
export interface HttpSettings {
  /** Longest a request may take to arrive, headers and body (408 and the connection closed); 0: none. */
  requestBodyTimeoutMs: number;
  /** Longest a request's headers may take to arrive; never above requestBodyTimeoutMs. */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Requests handled at once, counted once their body is in; 0: no bound. */
  maxConcurrentRequests: number;
}

/** Who may call: bearer keys. Empty lists leave the routes they guard open. */
export interface AccessSettings {
  /** Keys for every route but /health, /metrics and the API docs. */
  apiKeys: string[];
  /** Keys for the routes that change stored data; when set, the apiKeys are not enough there. */
  adminApiKeys: string[];
}

export interface HubSettings {
  modelsDir: string;
  revision: string;
  endpoint: string;
  token: string | undefined;
}

export interface Config {
  /** The rerankers (--model, repeatable or comma-separated), the first the default; never empty. */
  rerankers: ModelEntry[];
  hub: HubSettings;
  /** A request naming a model not loaded gets 422 UNKNOWN_MODEL instead of the default. */
  strictModelName: boolean;
  host: string;
  port: number;
  /** A decoder reranker's prompt template, when not the one its model_type implies. */
  rerankerTemplate: string | undefined;
  /** A decoder reranker's default instruction (the model card's when undefined). */
  rerankerInstruction: string | undefined;
  maxLength: number | undefined;
  autoTruncate: boolean;
  truncationDirection: TruncationDirection;
  threads: number | undefined;
  /** Sequences per inference batch; undefined: each model's default for its precision and kind (models/kinds/encoder-budgets.ts). */
  maxBatchSize: number | undefined;
  /** Padded tokens per inference batch; undefined: each model's default for its precision and kind. */
  maxBatchTokens: number | undefined;
  /** Apply at load the graph rewrites that measured faster (tools/optimize). */
  graphRewrites: boolean;
  limits: Limits;
  engine: EngineSettings;
  cache: CacheSettings;
  embedder: EmbedderSettings;
  /** /search's stages for rerank: true (--search-cascade), as parsed JSON; the search routes check its shape, the service its model names. */
  searchCascade: unknown[] | undefined;
  store: StoreSettings;
  http: HttpSettings;
  access: AccessSettings;
  logLevel: string;
  shutdownTimeoutMs: number;
}
