import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { CacheScope, createCache, scoreCodec, vectorCodec, type CacheLog, type TieredCache, type ValueCodec } from './cache/index.js';
import type { Config } from './config.js';
import { createEngine, type EngineSettings } from './engine/create-engine.js';
import type { EngineModel, InferenceEngine } from './engine/engine.js';
import { EmbedderUnavailableError, ModelLoadError, NotReadyError, StoreUnavailableError } from './errors.js';
import { Metrics } from './metrics.js';
import { loadCrossEncoder, type CrossEncoderSpec } from './models/cross-encoder.js';
import { loadEmbedder, type EmbedderSpec } from './models/embedder.js';
import { engineModels, type ModelSpecs } from './models/engine-models.js';
import { modelIdentity } from './models/model-identity.js';
import { EmbedPipeline } from './pipelines/embed-pipeline.js';
import { IngestPipeline, type IngestEmbedder } from './pipelines/ingest-pipeline.js';
import { RerankPipeline } from './pipelines/rerank-pipeline.js';
import { SearchPipeline } from './pipelines/search-pipeline.js';
import { openStore, type DocumentStore } from './store/index.js';
import { TOKENIZATION_VERSION } from './text/tokenizer.js';
import { VERSION } from './version.js';

export type ServiceState = 'loading' | 'ready' | 'draining' | 'failed';

/** Builds the engine for the loaded models; tests swap in an in-process one. */
export type EngineFactory = (models: EngineModel[], config: Config, metrics: Metrics) => Promise<InferenceEngine>;

/** The engine part of the config. */
export function defaultEngineSettings(config: Config): EngineSettings {
  return {
    workers: config.engine.workers,
    threads: config.threads,
    tokenizerThreads: config.engine.tokenizerThreads,
    workerTimeoutMs: config.engine.workerTimeoutMs,
    batchWaitMs: config.engine.batchWaitMs,
    maxQueuePairs: config.engine.maxQueuePairs,
    maxQueueMs: config.engine.maxQueueMs,
  };
}

export const defaultEngineFactory: EngineFactory = (models, config, metrics) => createEngine(models, defaultEngineSettings(config), metrics);

export interface RerankerReady {
  spec: CrossEncoderSpec;
  pipeline: RerankPipeline;
  servedModelName: string;
}

export interface EmbedderReady {
  spec: EmbedderSpec;
  pipeline: EmbedPipeline;
  servedModelName: string;
  dimensions: number;
}

/** The first stage: the document store and the pipelines that write to it and search it. */
export interface DocumentsReady {
  store: DocumentStore;
  ingest: IngestPipeline;
  search: SearchPipeline;
}

export interface Ready {
  reranker: RerankerReady;
  embedder: EmbedderReady | undefined;
  documents: DocumentsReady | undefined;
}

export interface ServiceOptions {
  engineFactory?: EngineFactory | undefined;
  metrics?: Metrics | undefined;
  log?: CacheLog | undefined;
  /** Why the configured embedding model could not be had (offline, say), with the fix; routes answer 503 with it. */
  embedderProblem?: string | undefined;
}

/**
 * Owns the models' lifecycle: the HTTP server listens before the models are ready so probes can
 * see 503 while they load, and requests are refused once draining starts.
 */
export class Service {
  state: ServiceState = 'loading';
  readonly metrics: Metrics;
  private specs: ModelSpecs | undefined;
  private loaded: Ready | undefined;
  private engine: InferenceEngine | undefined;
  private cache: TieredCache | undefined;
  private store: DocumentStore | undefined;
  private storeProblem: string | undefined;
  private closing: Promise<void> | undefined;
  private readonly engineFactory: EngineFactory;
  private readonly log: CacheLog;
  private embedderProblem: string | undefined;

  constructor(
    private readonly config: Config,
    opts: ServiceOptions = {},
  ) {
    this.engineFactory = opts.engineFactory ?? defaultEngineFactory;
    this.metrics = opts.metrics ?? new Metrics(undefined, { defaultMetrics: false });
    this.log = opts.log ?? { warn: () => undefined, info: () => undefined };
    this.embedderProblem = opts.embedderProblem;
  }

  /** Reads and checks the model folders; cheap and synchronous so a broken folder fails before listening. */
  prepare(): ModelSpecs {
    if (this.specs !== undefined) return this.specs;
    const { config } = this;
    const reranker = loadCrossEncoder(config.model, { onnxFile: config.onnxFile, maxLength: config.maxLength });
    let embedder: EmbedderSpec | undefined;
    const dir = config.embedder.model;
    if (dir === undefined) {
      this.embedderProblem ??= 'The service was started with --embedding-model none; start it with --embedding-model <folder or hub repo id> to embed.';
    } else if (!existsSync(dir)) {
      this.embedderProblem ??= `No embedding model at ${dir}; pull one (npm run model:pull -- sentence-transformers/all-MiniLM-L6-v2) or start with --embedding-model <folder>.`;
    } else {
      embedder = loadEmbedder(dir, { onnxFile: config.embedder.onnxFile, maxLength: config.embedder.maxLength });
    }
    this.specs = { reranker, embedder };
    return this.specs;
  }

  /** Why there is no embedder, when there is none. */
  get embedderAdvice(): string | undefined {
    return this.specs?.embedder === undefined ? this.embedderProblem : undefined;
  }

  /**
   * Creates the engine, cache and document store and runs every model once; only then does
   * /health report ready. Whatever was built is closed again when any part fails.
   */
  async start(): Promise<Ready> {
    try {
      const specs = this.prepare();
      const models = engineModels(specs, this.config, this.log);
      const [engine, cache, store] = await Promise.allSettled([this.engineFactory(models, this.config, this.metrics), this.openCache(), this.openStore()]);
      if (engine.status === 'fulfilled') this.engine = engine.value;
      if (store.status === 'fulfilled') this.store = store.value;
      for (const part of [engine, cache, store]) if (part.status === 'rejected') throw part.reason;
      if (engine.status !== 'fulfilled' || cache.status !== 'fulfilled') throw new Error('unreachable: every part was checked');
      // A SIGTERM while the models loaded wins: the service never reports ready then.
      if (this.state !== 'loading') throw new NotReadyError('The server is shutting down.', 'SHUTTING_DOWN');
      const loaded = await this.assemble(specs, engine.value, cache.value);
      if (this.state !== 'loading') throw new NotReadyError('The server is shutting down.', 'SHUTTING_DOWN');
      this.loaded = loaded;
      this.metrics.exportServedSeries({ models: models.map((m) => m.role), cacheTiers: cache.value?.name.split('+') ?? [] });
      this.state = 'ready';
      return this.loaded;
    } catch (err) {
      if (this.state === 'loading') this.state = 'failed';
      // Whatever was built is closed again: a failed start-up leaves no threads, connections or locks.
      await this.release();
      throw err;
    }
  }

  private async openCache(): Promise<TieredCache | undefined> {
    this.cache = createCache(this.config.cache, { metrics: this.metrics, log: this.log });
    return this.cache;
  }

  /**
   * The document store is not needed to rerank: when it cannot be opened (a data directory that is
   * not writable, say) the service still starts, says why once, and the store's routes answer 503.
   */
  private async openStore(): Promise<DocumentStore | undefined> {
    if (this.config.store.url?.toLowerCase() === 'none') {
      this.storeProblem = 'The service was started with --store none; start it without (the embedded store) or with --store postgres://… to search.';
      return undefined;
    }
    try {
      return await openStore(this.config.store, { log: this.log });
    } catch (err) {
      this.storeProblem = `The document store could not be opened: ${(err as Error).message}`;
      this.log.warn({ err: (err as Error).message }, 'no document store: /search and /collections answer 503 STORE_UNAVAILABLE');
      return undefined;
    }
  }

  private async assemble(specs: ModelSpecs, engine: InferenceEngine, cache: TieredCache | undefined): Promise<Ready> {
    const { config, metrics } = this;
    const rerankerName = config.servedModelName ?? specs.reranker.folder.name;
    const rr = specs.reranker;
    const rerankerScope = await cacheScope(cache, rerankerName, [rr.folder.onnxPath, ...rr.folder.tokenizerPaths], { maxLength: rr.maxLength, head: rr.head }, scoreCodec);
    const reranker: RerankerReady = { spec: rr, servedModelName: rerankerName, pipeline: new RerankPipeline(engine, rr.maxLength, rerankerScope, metrics) };
    metrics.modelInfo.set({ role: 'reranker', model: rerankerName, onnx_file: basename(rr.folder.onnxPath), max_length: String(rr.maxLength), version: VERSION }, 1);

    let embedder: EmbedderReady | undefined;
    const em = specs.embedder;
    if (em !== undefined) {
      // The width is whatever the graph and pooling produce; the declared one must agree with it.
      const probe = await engine.run('embedder', { kind: 'texts', texts: ['warm up'], truncation: { direction: 'right', truncate: true } });
      if (em.dimensions !== undefined && probe.width !== em.dimensions) {
        throw new ModelLoadError(em.folder.dir, `the model outputs ${probe.width} components but its pooling config declares ${em.dimensions}`, 'Download the model folder again.');
      }
      const name = em.folder.name;
      const scope = await cacheScope(cache, name, [em.folder.onnxPath, ...em.folder.tokenizerPaths, ...em.configPaths], { maxLength: em.maxLength, head: em.head }, vectorCodec(probe.width));
      embedder = { spec: em, servedModelName: name, dimensions: probe.width, pipeline: new EmbedPipeline(engine, em.maxLength, probe.width, scope, metrics) };
      metrics.modelInfo.set({ role: 'embedder', model: name, onnx_file: basename(em.folder.onnxPath), max_length: String(em.maxLength), version: VERSION }, 1);
    }
    return { reranker, embedder, documents: this.store === undefined ? undefined : this.firstStage(this.store, engine, reranker, embedder) };
  }

  private firstStage(store: DocumentStore, engine: InferenceEngine, reranker: RerankerReady, embedder: EmbedderReady | undefined): DocumentsReady {
    const embedding = (): IngestEmbedder => {
      if (embedder === undefined) throw new EmbedderUnavailableError(this.embedderProblem ?? 'No embedding model is loaded.');
      return { name: embedder.servedModelName, pipeline: embedder.pipeline, engine, normalize: embedder.spec.pooling.normalize, maxLength: embedder.spec.maxLength };
    };
    return {
      store,
      ingest: new IngestPipeline({ store, embedder: embedding, maxDocumentChars: this.config.limits.maxDocumentChars, metrics: this.metrics }),
      search: new SearchPipeline({ store, embedder: embedding, rerank: reranker.pipeline, metrics: this.metrics }),
    };
  }

  /** What a request needs, or the 503 that tells the client to come back. */
  ready(): Ready {
    if (this.state === 'draining') throw new NotReadyError('The server is shutting down.', 'SHUTTING_DOWN');
    if (this.state !== 'ready' || this.loaded === undefined) throw new NotReadyError();
    return this.loaded;
  }

  /** The embedder, or 503 EMBEDDER_UNAVAILABLE with how to add one. */
  embedding(): EmbedderReady {
    const { embedder } = this.ready();
    if (embedder === undefined) throw new EmbedderUnavailableError(this.embedderProblem ?? 'No embedding model is loaded.');
    return embedder;
  }

  /** The store and its pipelines, or 503 STORE_UNAVAILABLE with why there is none. */
  documents(): DocumentsReady {
    const { documents } = this.ready();
    if (documents === undefined) throw new StoreUnavailableError(this.storeProblem ?? 'No document store is open.');
    return documents;
  }

  drain(): void {
    if (this.state === 'ready' || this.state === 'loading') this.state = 'draining';
  }

  /** Idempotent: every caller waits for the same close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.drain();
      await this.release();
    })();
    return this.closing;
  }

  /**
   * Closes the parts built so far, each once: start() calls it when it fails, close() when it is
   * asked; a part that start() builds after a close has begun is closed by start() itself.
   */
  private async release(): Promise<void> {
    const { engine, cache, store } = this;
    this.engine = undefined;
    this.cache = undefined;
    this.store = undefined;
    await engine?.close();
    await cache?.close();
    await store?.close();
  }
}

/**
 * A model's key scope in the cache: its identity covers the files that decide its outputs (weights,
 * tokenizer, pooling config), the settings given and the tokenization version.
 */
async function cacheScope<V>(cache: TieredCache | undefined, name: string, files: readonly string[], settings: object, codec: ValueCodec<V>): Promise<CacheScope<V> | undefined> {
  if (cache === undefined) return undefined;
  return new CacheScope(cache, await modelIdentity(name, files, { ...settings, tokenization: TOKENIZATION_VERSION }), codec);
}
