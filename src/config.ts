import { type Command, Option } from 'commander';
import { ConfigError } from './errors.js';
import { PRECISIONS, type Precision } from './models/precision.js';

import type { TruncationDirection } from './text/truncation.js';

export type { TruncationDirection };

export type * from './config-shape.js';
import type { Config } from './config-shape.js';

interface Setting {
  flag: string;
  env: string;
  help: string;
  fallback?: string;
  /** The flag may be given more than once; the values join with commas, as the env var lists them. */
  repeatable?: true;
}


/** Every flag has an env var; the help text is the documentation (README's settings table mirrors it). */
export const SETTINGS = {
  model: {
    flag: '--model <dir|repo>',
    env: 'MODEL',
    help: 'reranker: model folder in Hugging Face layout, or a hub repo id pulled into --models-dir when missing; repeat the flag (or MODEL=a,b) to serve several, the first the default',
    fallback: 'cross-encoder/ms-marco-MiniLM-L-6-v2',
    repeatable: true,
  },
  modelsDir: { flag: '--models-dir <dir>', env: 'MODELS_DIR', help: 'where hub repo ids are pulled to, as <owner>/<name>', fallback: 'models' },
  revision: { flag: '--revision <rev>', env: 'REVISION', help: 'hub branch, tag or commit to pull', fallback: 'main' },
  hfEndpoint: { flag: '--hf-endpoint <url>', env: 'HF_ENDPOINT', help: 'hub base URL (mirrors)', fallback: 'https://huggingface.co' },
  hfToken: { flag: '--hf-token <token>', env: 'HF_TOKEN', help: 'hub token for gated or private models' },
  onnxFile: { flag: '--onnx-file <path>', env: 'ONNX_FILE', help: 'ONNX file inside the model folder (default onnx/model.onnx, then model.onnx); with several models, one for all or one per model, comma-separated (an empty one keeps the default)' },
  precision: {
    flag: '--precision <p>',
    env: 'PRECISION',
    help: 'fp32 (exact), int8 (the int8 file the folder ships for this CPU, else the fp32 file quantized once at start and kept next to it), or auto (int8 where the CPU has fast int8 dot products: AVX-512 VNNI, AVX-VNNI, AMX, arm64; else fp32); for the rerankers, one for all or one per model, comma-separated',
    fallback: 'fp32',
  },
  servedModelName: { flag: '--served-model-name <name>', env: 'SERVED_MODEL_NAME', help: "the name requests pick a reranker by and responses carry (default: the folder name); with several models, one per model in --model's order, comma-separated" },
  strictModelName: { flag: '--strict-model-name <bool>', env: 'STRICT_MODEL_NAME', help: 'answer 422 UNKNOWN_MODEL when a request names a model that is not loaded (default: the default model answers)', fallback: 'false' },
  host: { flag: '--host <addr>', env: 'HOST', help: 'address to listen on', fallback: '0.0.0.0' },
  port: { flag: '--port <n>', env: 'PORT', help: 'port to listen on', fallback: '8080' },
  rerankerTemplate: { flag: '--reranker-template <name>', env: 'RERANKER_TEMPLATE', help: "a decoder reranker's prompt: qwen3-reranker (default for model_type qwen3), mxbai-rerank-v2 (for qwen2) or qwen3-reranker-seq-cls (for Qwen3ForSequenceClassification)" },
  rerankerInstruction: { flag: '--reranker-instruction <text>', env: 'RERANKER_INSTRUCTION', help: "a decoder reranker's default instruction when a request sends none (default: the model card's)" },
  maxLength: { flag: '--max-length <n>', env: 'MAX_LENGTH', help: 'cap on tokens per pair (never above the model limit)' },
  autoTruncate: { flag: '--auto-truncate <bool>', env: 'AUTO_TRUNCATE', help: 'truncate over-long pairs when a TEI request does not say', fallback: 'true' },
  truncationDirection: { flag: '--truncation-direction <dir>', env: 'TRUNCATION_DIRECTION', help: 'right or left: which end of a text loses tokens', fallback: 'right' },
  threads: { flag: '--threads <n>', env: 'THREADS', help: 'ONNX Runtime intra-op threads (default: ONNX Runtime picks)' },
  maxBatchSize: { flag: '--max-batch-size <n>', env: 'MAX_BATCH_SIZE', help: 'pairs (or texts) per inference batch (default: per model, by its precision and kind; see Engine)' },
  maxBatchTokens: { flag: '--max-batch-tokens <n>', env: 'MAX_BATCH_TOKENS', help: 'padded tokens per inference batch, pairs x longest pair (default: per model, by its precision and kind; see Engine)' },
  graphRewrites: { flag: '--graph-rewrites <bool>', env: 'GRAPH_REWRITES', help: 'apply at load the graph rewrites that measured faster (a cross-encoder computes its last layer after attention for the first token only); false serves the ONNX file as it is', fallback: 'true' },
  maxDocuments: { flag: '--max-documents <n>', env: 'MAX_DOCUMENTS', help: 'documents (or texts) per request, at most 10000', fallback: '1000' },
  maxBodyBytes: { flag: '--max-body-bytes <n>', env: 'MAX_BODY_BYTES', help: 'request body size in bytes', fallback: String(20 * 1024 * 1024) },
  maxDocumentChars: { flag: '--max-document-chars <n>', env: 'MAX_DOCUMENT_CHARS', help: 'characters per document or query', fallback: '100000' },
  workers: { flag: '--workers <n>', env: 'WORKERS', help: 'inference worker threads, each with its own ONNX Runtime session; 0 runs inference on the main thread (debugging only)' },
  workerMemoryBytes: {
    flag: '--worker-memory-bytes <n>',
    env: 'WORKER_MEMORY_BYTES',
    help: "memory the inference workers may take together, in bytes; every worker holds a session of every model (default: half the machine's or container's memory); a start whose models do not fit is refused, saying what would",
  },
  tokenizerThreads: { flag: '--tokenizer-threads <n>', env: 'TOKENIZER_THREADS', help: 'threads that tokenize requests off the event loop (default: one per four cores, at least one)' },
  batchWaitMs: { flag: '--batch-wait-ms <n>', env: 'BATCH_WAIT_MS', help: 'longest a partial batch waits for more pairs', fallback: '2' },
  maxQueuePairs: { flag: '--max-queue-pairs <n>', env: 'MAX_QUEUE_PAIRS', help: 'pairs waiting for inference before new requests get 429', fallback: '4000' },
  maxQueueMs: { flag: '--max-queue-ms <n>', env: 'MAX_QUEUE_MS', help: 'most work allowed to wait, in ms at the recent pace (a request that would pass it gets 429 unless the queue is empty); also how long a backlog can outlive a burst', fallback: '15000' },
  requestTimeoutMs: { flag: '--request-timeout-ms <n>', env: 'REQUEST_TIMEOUT_MS', help: 'default per-request deadline (0: none); a request may set its own, shorter or longer', fallback: '0' },
  workerTimeoutMs: { flag: '--worker-timeout-ms <n>', env: 'WORKER_TIMEOUT_MS', help: 'a batch running longer than this marks its worker hung; it is replaced', fallback: '60000' },
  cacheMaxBytes: { flag: '--cache-max-bytes <n>', env: 'CACHE_MAX_BYTES', help: 'memory for the pair-score cache (0 disables it)', fallback: String(64 * 1024 * 1024) },
  cacheTtlSeconds: { flag: '--cache-ttl-seconds <n>', env: 'CACHE_TTL_SECONDS', help: 'how long a cached pair score lives, in memory and in Redis', fallback: '86400' },
  redisUrl: { flag: '--redis-url <url>', env: 'REDIS_URL', help: 'Redis for a cache tier shared by replicas (optional)' },
  redisTimeoutMs: { flag: '--redis-timeout-ms <n>', env: 'REDIS_TIMEOUT_MS', help: 'longest a Redis cache lookup may take before it counts as a miss', fallback: '50' },
  redisKeyPrefix: { flag: '--redis-key-prefix <s>', env: 'REDIS_KEY_PREFIX', help: 'prefix of the cache keys in Redis', fallback: 'reranker:' },
  embeddingModel: {
    flag: '--embedding-model <dir|repo>',
    env: 'EMBEDDING_MODEL',
    help: 'sentence-transformers embedding model (folder or hub repo id) for /v1/embeddings, /embed and /search; repeat the flag (or EMBEDDING_MODEL=a,b) for several, the first the default; none turns it off',
    fallback: 'sentence-transformers/all-MiniLM-L6-v2',
    repeatable: true,
  },
  embeddingOnnxFile: { flag: '--embedding-onnx-file <path>', env: 'EMBEDDING_ONNX_FILE', help: 'ONNX file inside the embedding model folder (default onnx/model.onnx, then model.onnx); one for all or one per model, comma-separated' },
  embeddingMaxLength: { flag: '--embedding-max-length <n>', env: 'EMBEDDING_MAX_LENGTH', help: 'cap on tokens per embedded text (never above the model limit)' },
  searchCascade: {
    flag: '--search-cascade <json>',
    env: 'SEARCH_CASCADE',
    help: '/search\'s rerank stages when a request says rerank: true, as JSON in the request\'s own shape, e.g. [{"model":"ms-marco-MiniLM-L-6-v2","top_n":20},{"model":"Qwen3-Reranker-0.6B"}] (default: the default reranker alone)',
  },
  store: { flag: '--store <url>', env: 'STORE_URL', help: 'document store: postgres://… for Postgres with pgvector, none to turn it off (default: embedded PGlite in --data-dir)' },
  dataDir: { flag: '--data-dir <dir>', env: 'DATA_DIR', help: 'where the embedded store keeps its files', fallback: 'data' },
  storeTimeoutMs: { flag: '--store-timeout-ms <n>', env: 'STORE_TIMEOUT_MS', help: 'a store query running longer is cancelled (504)', fallback: '10000' },
  storePoolSize: { flag: '--store-pool-size <n>', env: 'STORE_POOL_SIZE', help: 'connections to the document store', fallback: '4' },
  storeSchema: {
    flag: '--store-schema <name>',
    env: 'STORE_SCHEMA',
    help: 'schema for every table the service creates (created if missing), so it shares a database without colliding; collections an older version made in public are moved into it at start',
    fallback: 'reranker',
  },
  lexicalIndex: {
    flag: '--lexical-index <where>',
    env: 'LEXICAL_INDEX',
    help: "where BM25 ranks a collection of ours: memory (this process keeps the postings, ~0.9 GB per million documents of ~60 words, and follows the table's change log; the same ranking, far faster past ~100,000 documents) or sql (every search in the database)",
    fallback: 'memory',
  },
  storeIndexMemory: {
    flag: '--store-index-memory <size>',
    env: 'STORE_INDEX_MEMORY',
    help: "Postgres' maintenance_work_mem while the service builds a collection's HNSW index, e.g. 4GB (pgvector builds far faster while the graph fits in it; default: the server's setting)",
  },
  requestBodyTimeoutMs: { flag: '--request-body-timeout-ms <n>', env: 'REQUEST_BODY_TIMEOUT_MS', help: 'longest a request may take to arrive, headers and body; a slower one gets 408 and its connection is closed (0: no limit)', fallback: '30000' },
  headersTimeoutMs: { flag: '--headers-timeout-ms <n>', env: 'HEADERS_TIMEOUT_MS', help: "longest a request's headers may take to arrive (at most --request-body-timeout-ms)", fallback: '10000' },
  keepAliveTimeoutMs: { flag: '--keep-alive-timeout-ms <n>', env: 'KEEP_ALIVE_TIMEOUT_MS', help: "how long an idle keep-alive connection stays open; longer than a load balancer's idle timeout, so the balancer closes first", fallback: '72000' },
  maxConcurrentRequests: { flag: '--max-concurrent-requests <n>', env: 'MAX_CONCURRENT_REQUESTS', help: 'requests handled at once, counted once their body has arrived; more get 503 SERVER_BUSY with Retry-After (0: no bound; /health and /metrics are not counted)', fallback: '512' },
  apiKey: { flag: '--api-key <keys>', env: 'API_KEY', help: 'keys clients must send as Authorization: Bearer <key>, comma-separated (default: none, the API is open); /health, /metrics and /docs stay open' },
  adminApiKey: { flag: '--admin-api-key <keys>', env: 'ADMIN_API_KEY', help: 'keys required by the routes that change stored data (PUT and DELETE /collections/..., POST and DELETE documents), comma-separated; when set, --api-key is not enough there' },
  logLevel: { flag: '--log-level <level>', env: 'LOG_LEVEL', help: 'pino log level', fallback: 'info' },
  shutdownTimeoutMs: { flag: '--shutdown-timeout-ms <n>', env: 'SHUTDOWN_TIMEOUT_MS', help: 'how long in-flight requests may run after SIGTERM', fallback: '30000' },
} satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
export type RawSettings = Partial<Record<SettingName, string | boolean>>;

/** Options whose flag has been seen once in this process's parse (a repeatable flag's first value replaces the default or env). */
const repeated = new WeakSet<Option>();

/** Registers every setting on a commander command, flags winning over env vars. */
export function addSettings(cmd: Command, names: SettingName[] = Object.keys(SETTINGS) as SettingName[]): Command {
  for (const name of names) {
    const s: Setting = SETTINGS[name];
    const opt = new Option(s.flag, s.help).env(s.env);
    // commander hands the default as the first "previous" value: the first flag replaces it, later ones add to the list.
    if (s.repeatable) {
      opt.argParser((value: string, previous: unknown) => {
        if (repeated.has(opt)) return `${String(previous)},${value}`;
        repeated.add(opt);
        return value;
      });
    }
    cmd.addOption(s.fallback === undefined ? opt : opt.default(s.fallback));
  }
  return cmd;
}

function oneOf<T extends string>(name: SettingName, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new ConfigError(`${SETTINGS[name].flag.split(' ')[0]} must be one of ${allowed.join(', ')}, got "${value}"`);
  return found;
}

/** A Postgres memory setting with its unit (kB, MB, GB, TB), as SET takes it. */
function memorySize(name: SettingName, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}(kB|MB|GB|TB)$/.test(value)) throw new ConfigError(`${SETTINGS[name].flag.split(' ')[0]} must be a whole number with kB, MB, GB or TB (e.g. 4GB), got "${value}"`);
  return value;
}

function int(name: SettingName, value: string | boolean | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const s: Setting = SETTINGS[name];
    throw new ConfigError(`${s.flag.split(' ')[0]} (${s.env}) must be an integer from ${min} to ${max}, got "${String(value)}"`);
  }
  return n;
}

/** A plain lowercase identifier: it is quoted everywhere, but one that needs no quoting reads the same in psql. */
function schemaName(value: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value) || value.startsWith('pg_')) {
    throw new ConfigError(`--store-schema must be a lowercase identifier (letters, digits, _; at most 63; not pg_...), got "${value}"`);
  }
  return value;
}

function precisionOf(value: string): Precision {
  const p = PRECISIONS.find((x) => x === value);
  if (p === undefined) throw new ConfigError(`--precision must be one of ${PRECISIONS.join(', ')}, got "${value}"`);
  return p;
}

function required(name: SettingName, raw: RawSettings): string {
  const s: Setting = SETTINGS[name];
  const v = raw[name];
  return typeof v === 'string' ? v : (s.fallback ?? '');
}

function bool(name: SettingName, raw: RawSettings): boolean {
  const v = raw[name] ?? (SETTINGS[name] as Setting).fallback;
  if (v === true || v === 'true' || v === '1' || v === 'yes') return true;
  if (v === undefined || v === false || v === 'false' || v === '0' || v === 'no') return false;
  throw new ConfigError(`${SETTINGS[name].env} must be true or false, got "${String(v)}"`);
}

/** --search-cascade as parsed JSON: a list whose stages the search routes check against their schema at start. */
function cascadeOf(value: string | undefined): unknown[] | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new ConfigError(`--search-cascade (SEARCH_CASCADE) is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new ConfigError('--search-cascade (SEARCH_CASCADE) must be a JSON list of stages, e.g. [{"model":"a","top_n":20},{"model":"b"}]');
  return parsed;
}

/** A comma-separated list (models, files); blanks around the items are not part of them. */
function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/**
 * A per-model setting: one value for every model, or one per model in order, comma-separated (an
 * empty item keeps that model's default). A served name is one per model: two models cannot share it.
 */
function perModel(name: SettingName, raw: RawSettings, models: number, shared = true): (string | undefined)[] {
  const v = raw[name];
  if (typeof v !== 'string' || v.trim() === '') return Array.from({ length: models }, () => undefined);
  const items = v.split(',').map((x) => (x.trim() === '' ? undefined : x.trim()));
  if (items.length === models) return items;
  if (items.length === 1 && (shared || models === 1)) return Array.from({ length: models }, () => items[0]);
  const s: Setting = SETTINGS[name];
  throw new ConfigError(`${s.flag.split(' ')[0]} (${s.env}) lists ${items.length} values for ${models} models: give ${shared ? 'one for all or ' : ''}one per model, in the order of the models`);
}

/** A comma-separated list of keys; blanks around them are not part of a key. */
function keys(name: SettingName, raw: RawSettings): string[] {
  const v = raw[name];
  if (typeof v !== 'string') return [];
  const list = v
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  // The message names the setting, never the value: it is a secret.
  if (list.some((k) => /\s/.test(k))) throw new ConfigError(`${SETTINGS[name].flag.split(' ')[0]} (${SETTINGS[name].env}): a key must not contain whitespace`);
  return list;
}

/** The longest delay Node's timers take; a larger one fires after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Items one request may list (documents, texts, inputs): the schemas' hard bound, and the ceiling of --max-documents. */
export const MAX_ITEMS_PER_REQUEST = 10_000;

/** Builds and validates the one config object; defaults live in SETTINGS only. */
export function buildConfig(raw: RawSettings): Config {
  const direction = required('truncationDirection', raw);
  if (direction !== 'right' && direction !== 'left') {
    throw new ConfigError(`--truncation-direction must be right or left, got "${direction}"`);
  }
  const text = (name: SettingName): string | undefined => {
    const v = raw[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const rerankerSources = list(required('model', raw));
  if (rerankerSources.length === 0) throw new ConfigError('--model (MODEL) names no model');
  const names = perModel('servedModelName', raw, rerankerSources.length, false);
  const files = perModel('onnxFile', raw, rerankerSources.length);
  const precisions = perModel('precision', raw, rerankerSources.length);
  const embedderSources = list(required('embeddingModel', raw));
  const embedderFiles = perModel('embeddingOnnxFile', raw, embedderSources.length);
  const embeddersOff = embedderSources.length === 0 || (embedderSources.length === 1 && embedderSources[0]?.toLowerCase() === 'none');
  return {
    rerankers: rerankerSources.map((source, i) => ({ source, servedName: names[i], onnxFile: files[i], precision: precisionOf(precisions[i] ?? required('precision', raw)) })),
    hub: { modelsDir: required('modelsDir', raw), revision: required('revision', raw), endpoint: required('hfEndpoint', raw), token: text('hfToken') },
    strictModelName: bool('strictModelName', raw),
    host: required('host', raw),
    port: int('port', required('port', raw), 0, 65535) ?? 8080,
    rerankerTemplate: text('rerankerTemplate'),
    rerankerInstruction: text('rerankerInstruction'),
    maxLength: int('maxLength', raw.maxLength, 8),
    autoTruncate: bool('autoTruncate', raw),
    truncationDirection: direction,
    threads: int('threads', raw.threads, 1, 1024),
    maxBatchSize: int('maxBatchSize', raw.maxBatchSize, 1, 4096),
    maxBatchTokens: int('maxBatchTokens', raw.maxBatchTokens, 64),
    graphRewrites: bool('graphRewrites', raw),
    limits: {
      maxDocuments: int('maxDocuments', required('maxDocuments', raw), 1, MAX_ITEMS_PER_REQUEST) ?? 1000,
      maxBodyBytes: int('maxBodyBytes', required('maxBodyBytes', raw), 1024) ?? 20 * 1024 * 1024,
      maxDocumentChars: int('maxDocumentChars', required('maxDocumentChars', raw), 1) ?? 100_000,
    },
    engine: {
      workers: int('workers', raw.workers, 0, 1024),
      workerMemoryBytes: int('workerMemoryBytes', raw.workerMemoryBytes, 1),
      tokenizerThreads: int('tokenizerThreads', raw.tokenizerThreads, 1, 64),
      batchWaitMs: int('batchWaitMs', required('batchWaitMs', raw), 0, 10_000) ?? 2,
      maxQueuePairs: int('maxQueuePairs', required('maxQueuePairs', raw), 1) ?? 4000,
      maxQueueMs: int('maxQueueMs', required('maxQueueMs', raw), 1, MAX_TIMER_MS) ?? 15_000,
      requestTimeoutMs: int('requestTimeoutMs', required('requestTimeoutMs', raw), 0, MAX_TIMER_MS) ?? 0,
      workerTimeoutMs: int('workerTimeoutMs', required('workerTimeoutMs', raw), 100, MAX_TIMER_MS) ?? 60_000,
    },
    cache: {
      maxBytes: int('cacheMaxBytes', required('cacheMaxBytes', raw), 0) ?? 64 * 1024 * 1024,
      ttlSeconds: int('cacheTtlSeconds', required('cacheTtlSeconds', raw), 1) ?? 86_400,
      redisUrl: text('redisUrl'),
      redisTimeoutMs: int('redisTimeoutMs', required('redisTimeoutMs', raw), 1, 60_000) ?? 50,
      redisKeyPrefix: required('redisKeyPrefix', raw),
    },
    embedder: {
      models: embeddersOff ? [] : embedderSources.map((source, i) => ({ source, servedName: undefined, onnxFile: embedderFiles[i], precision: 'fp32' as const })),
      maxLength: int('embeddingMaxLength', raw.embeddingMaxLength, 4),
    },
    searchCascade: cascadeOf(text('searchCascade')),
    store: {
      url: text('store'),
      dataDir: required('dataDir', raw),
      timeoutMs: int('storeTimeoutMs', required('storeTimeoutMs', raw), 1, MAX_TIMER_MS) ?? 10_000,
      poolSize: int('storePoolSize', required('storePoolSize', raw), 1, 64) ?? 4,
      schema: schemaName(required('storeSchema', raw)),
      indexMemory: memorySize('storeIndexMemory', text('storeIndexMemory')),
      lexicalIndex: oneOf('lexicalIndex', required('lexicalIndex', raw), ['memory', 'sql'] as const),
    },
    http: (() => {
      const requestBodyTimeoutMs = int('requestBodyTimeoutMs', required('requestBodyTimeoutMs', raw), 0, MAX_TIMER_MS) ?? 30_000;
      const headersTimeoutMs = int('headersTimeoutMs', required('headersTimeoutMs', raw), 1, MAX_TIMER_MS) ?? 10_000;
      return {
        requestBodyTimeoutMs,
        // Node refuses a headers timeout longer than the whole request's.
        headersTimeoutMs: requestBodyTimeoutMs === 0 ? headersTimeoutMs : Math.min(headersTimeoutMs, requestBodyTimeoutMs),
        keepAliveTimeoutMs: int('keepAliveTimeoutMs', required('keepAliveTimeoutMs', raw), 1, MAX_TIMER_MS) ?? 72_000,
        maxConcurrentRequests: int('maxConcurrentRequests', required('maxConcurrentRequests', raw), 0, 1_000_000) ?? 512,
      };
    })(),
    access: { apiKeys: keys('apiKey', raw), adminApiKeys: keys('adminApiKey', raw) },
    logLevel: required('logLevel', raw),
    shutdownTimeoutMs: int('shutdownTimeoutMs', required('shutdownTimeoutMs', raw), 0, MAX_TIMER_MS) ?? 30_000,
  };
}

/** The config as logged at start, without secrets. */
export function redactConfig(config: Config): Record<string, unknown> {
  const redactUrl = (url: string | undefined): string | undefined => url?.replace(/\/\/[^@/]*@/, '//[redacted]@');
  return {
    ...config,
    hub: { ...config.hub, token: config.hub.token === undefined ? undefined : '[redacted]' },
    cache: { ...config.cache, redisUrl: redactUrl(config.cache.redisUrl) },
    store: { ...config.store, url: redactUrl(config.store.url) },
    access: { apiKeys: config.access.apiKeys.map(() => '[redacted]'), adminApiKeys: config.access.adminApiKeys.map(() => '[redacted]') },
  };
}
