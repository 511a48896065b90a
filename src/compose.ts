import { existsSync } from 'node:fs';
import { CacheScope, scoreCodec, vectorCodec, type TieredCache, type ValueCodec } from './cache/index.js';
import type { Config } from './config.js';
import { createEngine, type EngineRunSettings } from './engine/create-engine.js';
import type { EngineModel, InferenceEngine } from './engine/engine.js';
import { EmbedderUnavailableError, ModelLoadError } from './errors.js';
import type { Log } from './log.js';
import type { Metrics } from './metrics.js';
import { KINDS } from './models/kinds/index.js';
import type { EmbedderSpec } from './models/kinds/embedder.js';
import { loadModel, ModelRegistry, type LoadedModel, type ModelSettings } from './models/registry.js';
import { EmbedPipeline } from './pipelines/embed-pipeline.js';
import { IngestPipeline, type IngestEmbedder } from './pipelines/ingest-pipeline.js';
import { RerankPipeline } from './pipelines/rerank-pipeline.js';
import { SearchPipeline } from './pipelines/search-pipeline.js';
import type { DocumentStore } from './store/index.js';
import { packTexts } from './text/packed-texts.js';

/*
 * The composition root: the one place that turns the config into the service's parts (models,
 * engine, pipelines, first stage). `Service` and `reranker ingest` both build from here.
 */

/** Builds the engine for the loaded models; tests swap in an in-process one. */
export type EngineFactory = (models: EngineModel[], config: Config, metrics: Metrics) => Promise<InferenceEngine>;

/** The engine's settings: the config's engine section and the ONNX Runtime threads per worker. */
export function engineSettings(config: Config): EngineRunSettings {
  return { ...config.engine, threads: config.threads };
}

export const defaultEngineFactory: EngineFactory = (models, config, metrics) => createEngine(models, engineSettings(config), metrics);

export function modelSettings(config: Config): ModelSettings {
  return {
    graphRewrites: config.graphRewrites,
    limits: {
      ...(config.maxBatchSize === undefined ? {} : { maxBatchSize: config.maxBatchSize }),
      ...(config.maxBatchTokens === undefined ? {} : { maxBatchTokens: config.maxBatchTokens }),
    },
  };
}

/** The models the config names, read and checked, and why there is no embedder when there is none. */
export function loadModels(config: Config, opts: { reranker: boolean; log?: Log | undefined }): { registry: ModelRegistry; embedderProblem: string | undefined } {
  const settings = modelSettings(config);
  const models: LoadedModel[] = [];
  // The default model of a role (the first) keeps the role as its id and metric label, as with one model; the others go by their served names.
  if (opts.reranker) {
    config.rerankers.forEach((entry, i) => {
      const load = { onnxFile: entry.onnxFile, maxLength: config.maxLength, servedName: entry.servedName, template: config.rerankerTemplate, instruction: config.rerankerInstruction, isDefault: i === 0 };
      models.push(loadModel('reranker', KINDS, entry.source, load, settings, opts.log));
    });
  }
  let embedderProblem: string | undefined;
  const embedders = config.embedder.models;
  if (embedders.length === 0) embedderProblem = 'The service was started with --embedding-model none; start it with --embedding-model <folder or hub repo id> to embed.';
  embedders.forEach((entry, i) => {
    if (!existsSync(entry.source)) {
      embedderProblem ??= `No embedding model at ${entry.source}; pull one (npm run model:pull -- sentence-transformers/all-MiniLM-L6-v2) or start with --embedding-model <folder>.`;
      return;
    }
    models.push(loadModel('embedder', KINDS, entry.source, { onnxFile: entry.onnxFile, maxLength: config.embedder.maxLength, isDefault: i === 0 }, settings, opts.log));
  });
  return { registry: new ModelRegistry(models), embedderProblem };
}

/** The reranker and its pipeline; its name, folder and limits are the loaded model's. */
export interface RerankerReady {
  model: LoadedModel;
  pipeline: RerankPipeline;
}

export interface EmbedderReady {
  model: LoadedModel<EmbedderSpec>;
  pipeline: EmbedPipeline;
  /** Components per vector, as the first inference produced them. */
  dimensions: number;
}

/** A model's key scope in the cache: its identity, and the codec of the values it stores. */
async function cacheScope<V>(cache: TieredCache | undefined, model: LoadedModel, codec: ValueCodec<V>): Promise<CacheScope<V> | undefined> {
  return cache === undefined ? undefined : new CacheScope(cache, await model.identity(), codec);
}

export async function rerankerReady(model: LoadedModel, engine: InferenceEngine, cache: TieredCache | undefined, metrics: Metrics): Promise<RerankerReady> {
  const scope = await cacheScope(cache, model, scoreCodec);
  return { model, pipeline: new RerankPipeline(engine, model.id, model.spec.maxLength, scope, metrics, model.kind.usesInstruction ?? false) };
}

/** The embedder's pipeline; its width is whatever the graph and pooling produce, and the declared one must agree. */
export async function embedderReady(model: LoadedModel, engine: InferenceEngine, cache: TieredCache | undefined, metrics: Metrics): Promise<EmbedderReady> {
  const em = model as LoadedModel<EmbedderSpec>;
  const probe = await engine.run(model.id, { kind: 'texts', texts: packTexts(['warm up']), truncation: { direction: 'right', truncate: true } });
  if (em.spec.dimensions !== undefined && probe.width !== em.spec.dimensions) {
    throw new ModelLoadError(em.spec.folder.dir, `the model outputs ${probe.width} components but its pooling config declares ${em.spec.dimensions}`, 'Download the model folder again.');
  }
  const scope = await cacheScope(cache, model, vectorCodec(probe.width));
  return { model: em, dimensions: probe.width, pipeline: new EmbedPipeline(engine, model.id, em.spec.maxLength, probe.width, scope, metrics) };
}

/** The first stage: the document store and the pipelines that write to it and search it. */
export interface DocumentsReady {
  store: DocumentStore;
  ingest: IngestPipeline;
  search: SearchPipeline;
}

/** What ingest needs of the embedder, or 503 EMBEDDER_UNAVAILABLE with how to add one. */
export function ingestEmbedder(engine: InferenceEngine, embedder: EmbedderReady | undefined, problem: string | undefined): () => IngestEmbedder {
  return () => {
    if (embedder === undefined) throw new EmbedderUnavailableError(problem ?? 'No embedding model is loaded.');
    const { servedName, spec } = embedder.model;
    return { name: servedName, pipeline: embedder.pipeline, engine, normalize: spec.pooling.normalize, maxLength: spec.maxLength };
  };
}

/** The first stage; its rerank stages are the request's, picked from `rerankers` by the route. */
export function firstStage(store: DocumentStore, embedding: () => IngestEmbedder, config: Config, metrics: Metrics): DocumentsReady {
  return {
    store,
    ingest: new IngestPipeline({ store, embedder: embedding, maxDocumentChars: config.limits.maxDocumentChars, metrics }),
    search: new SearchPipeline({ store, embedder: embedding, metrics }),
  };
}
