import { createPairCache, modelIdentity, type CacheLog, type CacheTier } from '../cache/index.js';
import type { Config } from '../config.js';
import type { RerankPipeline } from '../engine/rerank-pipeline.js';
import type { ModelFolder } from '../model/model-folder.js';
import type { Ready, RerankService } from '../service.js';

/**
 * Joins the app's pair cache and metrics to the pipeline the service builds once its model is
 * ready. Cache keys are scoped to a hash of the ONNX file's bytes; hashing (~0.3 s for 90 MB)
 * starts here, at build time, so it is done long before the model has loaded and warmed up.
 */
export class ServicePipeline {
  private readonly tier: CacheTier | undefined;
  private readonly pipelines = new WeakMap<RerankPipeline, Promise<RerankPipeline>>();
  private identity: Promise<string> | undefined;

  constructor(
    private readonly config: Config,
    private readonly service: RerankService,
    log: CacheLog,
  ) {
    this.tier = createPairCache(config.cache, { metrics: service.metrics, log });
    if (this.tier === undefined) return;
    try {
      this.identityOf(service.prepare().folder).catch(() => undefined);
    } catch {
      // A broken or absent model folder is the service's to report when it starts.
    }
  }

  /** The service's pipeline with cache and metrics; built once per loaded model. */
  async pipelineFor(ready: Ready): Promise<RerankPipeline> {
    let p = this.pipelines.get(ready.pipeline);
    if (p === undefined) {
      p = this.build(ready);
      this.pipelines.set(ready.pipeline, p);
    }
    return p;
  }

  async close(): Promise<void> {
    await this.tier?.close();
  }

  private async build(ready: Ready): Promise<RerankPipeline> {
    const metrics = this.service.metrics;
    if (this.tier === undefined) return ready.pipeline.with({ metrics });
    const identity = await this.identityOf(ready.spec.folder);
    return ready.pipeline.with({ metrics, cache: { tier: this.tier, modelIdentity: identity } });
  }

  /** The relevant label comes from config.json, not the ONNX file, and changes the raw score. */
  private identityOf(folder: ModelFolder): Promise<string> {
    this.identity ??= modelIdentity(this.config.servedModelName ?? folder.name, folder.onnxPath).then(
      (id) => `${id}#label=${folder.relevantLabel}/${folder.numLabels}`,
    );
    return this.identity;
  }
}
