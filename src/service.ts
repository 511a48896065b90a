import { createCache, type TieredCache } from './cache/index.js';
import { defaultEngineFactory, embedderReady, firstStage, ingestEmbedder, loadModels, rerankerReady, type DocumentsReady, type EmbedderReady, type EngineFactory, type RerankerReady } from './compose.js';
import type { Config } from './config.js';
import type { InferenceEngine } from './engine/engine.js';
import { ConfigError, EmbedderUnavailableError, NotReadyError, StoreUnavailableError } from './errors.js';
import { SILENT_LOG, type Log } from './log.js';
import { Metrics } from './metrics.js';
import { pickModel } from './models/model-names.js';
import type { ModelRegistry } from './models/registry.js';
import { openStore, type DocumentStore } from './store/index.js';
import { VERSION } from './version.js';

export type { DocumentsReady, EmbedderReady, EngineFactory, RerankerReady };
export { defaultEngineFactory };

export type ServiceState = 'loading' | 'ready' | 'draining' | 'failed';

export interface Ready {
  /** The default reranker (the first --model). */
  reranker: RerankerReady;
  /** Every reranker, the default first. */
  rerankers: readonly RerankerReady[];
  /** The default embedder, when one is loaded. */
  embedder: EmbedderReady | undefined;
  embedders: readonly EmbedderReady[];
  documents: DocumentsReady | undefined;
}

export interface ServiceOptions {
  engineFactory?: EngineFactory | undefined;
  metrics?: Metrics | undefined;
  /** The service-wide logger; each part gets a child with its own `component`. */
  log?: Log | undefined;
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
  /** When the models were loaded (Unix seconds): GET /v1/models' `created`. */
  startedAt = Math.floor(Date.now() / 1000);
  private registry: ModelRegistry | undefined;
  private loaded: Ready | undefined;
  private engine: InferenceEngine | undefined;
  private cache: TieredCache | undefined;
  private store: DocumentStore | undefined;
  private storeProblem: string | undefined;
  private closing: Promise<void> | undefined;
  private readonly engineFactory: EngineFactory;
  private readonly log: (component: string) => Log;
  private embedderProblem: string | undefined;

  constructor(
    private readonly config: Config,
    opts: ServiceOptions = {},
  ) {
    this.engineFactory = opts.engineFactory ?? defaultEngineFactory;
    this.metrics = opts.metrics ?? new Metrics(undefined, { defaultMetrics: false });
    const log = opts.log ?? SILENT_LOG;
    this.log = (component) => log.child?.({ component }) ?? log;
    this.embedderProblem = opts.embedderProblem;
  }

  /** Reads and checks the model folders; cheap and synchronous so a broken folder fails before listening. */
  prepare(): ModelRegistry {
    if (this.registry !== undefined) return this.registry;
    const { registry, embedderProblem } = loadModels(this.config, { reranker: true, log: this.log('models') });
    this.embedderProblem ??= embedderProblem;
    this.registry = registry;
    return registry;
  }

  /** Why there is no embedder, when there is none. */
  get embedderAdvice(): string | undefined {
    return this.registry?.byRole('embedder') === undefined ? this.embedderProblem : undefined;
  }

  /**
   * Creates the engine, cache and document store and runs every model once; only then does
   * /health report ready. Whatever was built is closed again when any part fails.
   */
  async start(): Promise<Ready> {
    try {
      const registry = this.prepare();
      const [engine, cache, store] = await Promise.allSettled([this.engineFactory(registry.engineModels, this.config, this.metrics), this.openCache(), this.openStore()]);
      if (engine.status === 'fulfilled') this.engine = engine.value;
      if (store.status === 'fulfilled') this.store = store.value;
      for (const part of [engine, cache, store]) if (part.status === 'rejected') throw part.reason;
      if (engine.status !== 'fulfilled' || cache.status !== 'fulfilled') throw new Error('unreachable: every part was checked');
      // A SIGTERM while the models loaded wins: the service never reports ready then.
      if (this.state !== 'loading') throw new NotReadyError('The server is shutting down.', 'SHUTTING_DOWN');
      const loaded = await this.assemble(registry, engine.value, cache.value);
      if (this.state !== 'loading') throw new NotReadyError('The server is shutting down.', 'SHUTTING_DOWN');
      this.loaded = loaded;
      this.startedAt = Math.floor(Date.now() / 1000);
      for (const labels of registry.describe(VERSION)) this.metrics.modelInfo.set(labels, 1);
      this.metrics.exportServedSeries({ models: registry.models.map((m) => ({ role: m.kind.role, label: m.id })), cacheTiers: cache.value?.name.split('+') ?? [] });
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
    this.cache = createCache(this.config.cache, { metrics: this.metrics, log: this.log('cache') });
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
    const log = this.log('store');
    try {
      const store = await openStore(this.config.store, { log, onError: (code) => this.metrics.storeErrors.inc({ code }) });
      if (store !== undefined) this.metrics.storeConnectionsSource = () => store.connections();
      return store;
    } catch (err) {
      this.storeProblem = `The document store could not be opened: ${(err as Error).message}`;
      log.warn({ err: (err as Error).message }, 'no document store: /search and /collections answer 503 STORE_UNAVAILABLE');
      return undefined;
    }
  }

  private async assemble(registry: ModelRegistry, engine: InferenceEngine, cache: TieredCache | undefined): Promise<Ready> {
    const rerankers: RerankerReady[] = [];
    for (const model of registry.allOf('reranker')) rerankers.push(await rerankerReady(model, engine, cache, this.metrics));
    const reranker = rerankers[0];
    if (reranker === undefined) throw new Error('no reranker is loaded');
    // --search-cascade names models: one that is not loaded fails the start, not every search.
    for (const stage of this.config.searchCascade ?? []) {
      const name = (stage as { model?: unknown }).model;
      if (typeof name !== 'string') continue;
      try {
        pickModel(rerankers, name, true, 'reranker');
      } catch {
        throw new ConfigError(`--search-cascade names the model "${name}", which is not loaded; loaded: ${rerankers.map((r) => r.model.servedName).join(', ')}.`);
      }
    }
    const embedders: EmbedderReady[] = [];
    for (const model of registry.allOf('embedder')) embedders.push(await embedderReady(model, engine, cache, this.metrics));
    const embedder = embedders[0];
    const documents = this.store === undefined ? undefined : firstStage(this.store, ingestEmbedder(engine, embedder, this.embedderProblem), this.config, this.metrics);
    return { reranker, rerankers, embedder, embedders, documents };
  }

  /** What a request needs, or the 503 that tells the client to come back. */
  ready(): Ready {
    if (this.state === 'draining') throw new NotReadyError('The server is shutting down.', 'SHUTTING_DOWN');
    if (this.state !== 'ready' || this.loaded === undefined) throw new NotReadyError();
    return this.loaded;
  }

  /** The reranker a request names (models/model-names.ts), else the default; 422 UNKNOWN_MODEL in strict mode. */
  reranker(name?: string): RerankerReady {
    return pickModel(this.ready().rerankers, name, this.config.strictModelName, 'reranker');
  }

  /** The embedder a request names, else the default; 503 EMBEDDER_UNAVAILABLE with how to add one when there is none. */
  embedding(name?: string): EmbedderReady {
    const { embedders } = this.ready();
    if (embedders.length === 0) throw new EmbedderUnavailableError(this.embedderProblem ?? 'No embedding model is loaded.');
    return pickModel(embedders, name, this.config.strictModelName, 'embedding model');
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
