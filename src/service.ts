import { basename } from 'node:path';
import { createPairCache, modelIdentity, type CacheLog, type TieredCache } from './cache/index.js';
import type { Config } from './config.js';
import { LocalScorer } from './engine/local-scorer.js';
import { createPoolScorer } from './engine/pool-scorer.js';
import { RerankPipeline } from './pipelines/rerank-pipeline.js';
import type { Scorer } from './engine/scorer.js';
import { NotReadyError } from './errors.js';
import { Metrics } from './metrics.js';
import { loadCrossEncoder, type CrossEncoderSpec } from './models/cross-encoder.js';
import { CrossEncoderSession } from './runtime/onnx-session.js';
import { VERSION } from './version.js';

export type ServiceState = 'loading' | 'ready' | 'draining' | 'failed';

export type ScorerFactory = (spec: CrossEncoderSpec, config: Config, metrics: Metrics) => Promise<Scorer>;

/** In-process scoring: used by tests and as the fallback when no worker pool is wanted. */
export const localScorerFactory: ScorerFactory = async (spec, config) => {
  const session = await CrossEncoderSession.create({
    onnxPath: spec.folder.onnxPath,
    numLabels: spec.folder.numLabels,
    relevantLabel: spec.folder.relevantLabel,
    padId: spec.tokenizer.padId,
    threads: config.threads,
  });
  const scorer = new LocalScorer(session, { maxBatchSize: config.maxBatchSize, maxBatchTokens: config.maxBatchTokens });
  // One real inference before the service reports ready: the first run pays for ONNX Runtime's lazy
  // set-up (the pool does the same for each of its workers).
  await scorer.score([spec.encoder.encodePair(spec.encoder.encodeQuery('warm up'), 'warm up the session', { direction: 'right', truncate: true })]);
  return scorer;
};

/** The default: a worker pool behind the dynamic batcher; `--workers 0` keeps inference in-process. */
export const poolScorerFactory: ScorerFactory = async (spec, config, metrics) =>
  config.engine.workers === 0 ? localScorerFactory(spec, config, metrics) : (await createPoolScorer(spec, config, metrics)).scorer;

export interface Ready {
  spec: CrossEncoderSpec;
  pipeline: RerankPipeline;
  servedModelName: string;
}

/**
 * Owns the model's lifecycle: the HTTP server listens before the model is ready so probes can
 * see 503 while it loads, and requests are refused once draining starts.
 */
export class RerankService {
  state: ServiceState = 'loading';
  private loaded: Ready | undefined;
  private scorer: Scorer | undefined;

  private cache: TieredCache | undefined;

  readonly metrics: Metrics;
  private readonly scorerFactory: ScorerFactory;
  private readonly log: CacheLog;

  constructor(
    private readonly config: Config,
    opts: { scorerFactory?: ScorerFactory | undefined; metrics?: Metrics | undefined; log?: CacheLog | undefined } = {},
  ) {
    this.scorerFactory = opts.scorerFactory ?? poolScorerFactory;
    this.metrics = opts.metrics ?? new Metrics(undefined, { defaultMetrics: false });
    this.log = opts.log ?? { warn: () => undefined, info: () => undefined };
  }

  private spec: CrossEncoderSpec | undefined;

  /** Reads and checks the model folder; cheap and synchronous so a broken folder fails before listening. */
  prepare(): CrossEncoderSpec {
    this.spec ??= loadCrossEncoder(this.config.model, { onnxFile: this.config.onnxFile, maxLength: this.config.maxLength });
    return this.spec;
  }

  /** Creates the scorer and runs one inference; only then does /health report ready. */
  async start(): Promise<Ready> {
    try {
      const spec = this.prepare();
      const servedModelName = this.config.servedModelName ?? spec.folder.name;
      // Hashing the weights for the cache keys overlaps with the workers loading them.
      const [scorer, cache] = await Promise.all([this.scorerFactory(spec, this.config, this.metrics), this.createCache(spec, servedModelName)]);
      this.scorer = scorer;
      // Each scorer factory has already run a warm-up inference on every session it made.
      const pipeline = new RerankPipeline(spec.encoder, scorer, { metrics: this.metrics, cache });
      this.loaded = { spec, pipeline, servedModelName };
      this.metrics.modelInfo.set({ model: servedModelName, onnx_file: basename(spec.folder.onnxPath), max_length: String(spec.maxLength), version: VERSION }, 1);
      this.state = 'ready';
      return this.loaded;
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
  }

  /** The pair-score cache, keyed to these exact weights and this label choice; undefined when off. */
  private async createCache(spec: CrossEncoderSpec, servedModelName: string) {
    this.cache = createPairCache(this.config.cache, { metrics: this.metrics, log: this.log });
    if (this.cache === undefined) return undefined;
    const weights = await modelIdentity(servedModelName, spec.folder.onnxPath);
    return { tier: this.cache, modelIdentity: `${weights}#label=${spec.folder.relevantLabel}/${spec.folder.numLabels}` };
  }

  /** What a request needs, or the 503 that tells the client to come back. */
  ready(): Ready {
    if (this.state === 'draining') throw new NotReadyError('The server is shutting down.', 'SHUTTING_DOWN');
    if (this.state !== 'ready' || this.loaded === undefined) throw new NotReadyError();
    return this.loaded;
  }

  drain(): void {
    if (this.state === 'ready' || this.state === 'loading') this.state = 'draining';
  }

  async close(): Promise<void> {
    this.drain();
    await this.scorer?.close();
    this.scorer = undefined;
    await this.cache?.close();
    this.cache = undefined;
  }
}
