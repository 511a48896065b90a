import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CacheLog } from '../cache/index.js';
import type { Config } from '../config.js';
import { batchBudget, type ModelKind } from '../engine/batch-budget.js';
import type { BatchLimits } from '../engine/batch-plan.js';
import type { EngineModel } from '../engine/engine.js';
import { defaultRewrites, planGraph, type GraphPlan } from '../tools/optimize/index.js';
import type { CrossEncoderSpec } from './cross-encoder.js';
import type { EmbedderSpec } from './embedder.js';

/** The model folders the service serves, read and checked. */
export interface ModelSpecs {
  reranker: CrossEncoderSpec;
  embedder: EmbedderSpec | undefined;
}

/** How the engine runs each loaded model. */
export function engineModels(specs: ModelSpecs, config: Config, log?: Pick<CacheLog, 'info'>): EngineModel[] {
  const models = [rerankerEngineModel(specs.reranker, config, log)];
  if (specs.embedder !== undefined) models.push(embedderEngineModel(specs.embedder, config, log));
  return models;
}

/** Rewrites asked for at load: the measured-faster ones for the model's kind, unless --graph-rewrites false. */
const loadRewrites = (config: Config, kind: ModelKind): readonly string[] => (config.graphRewrites ? defaultRewrites(kind) : []);
const explicitLimits = (config: Config): Partial<BatchLimits> => ({
  ...(config.maxBatchSize === undefined ? {} : { maxBatchSize: config.maxBatchSize }),
  ...(config.maxBatchTokens === undefined ? {} : { maxBatchTokens: config.maxBatchTokens }),
});

/**
 * The model file's precision and the rewrites that match it, once per file and process; a rewrite
 * that does not match is said once (the file is then served as it is).
 */
const plans = new Map<string, GraphPlan>();
function graphPlan(onnxPath: string, config: Config, kind: ModelKind, log?: Pick<CacheLog, 'info'>): GraphPlan {
  const rewrites = loadRewrites(config, kind);
  const { mtimeMs, size } = statSync(onnxPath);
  const key = `${onnxPath}\0${mtimeMs}\0${size}\0${rewrites.join()}`;
  let plan = plans.get(key);
  if (plan === undefined) {
    plan = planGraph(onnxPath, rewrites, path.join(tmpdir(), 'reranker-graphs'));
    plans.set(key, plan);
    for (const note of plan.notes) {
      if (log === undefined) process.emitWarning(`${onnxPath}: served without graph rewrite ${note}`, { type: 'GraphRewriteNotice', code: 'GRAPH_REWRITE_SKIPPED' });
      else log.info({ file: onnxPath, reason: note }, 'graph rewrite skipped: the file is served as it is');
    }
  }
  return plan;
}

/** The reranker's batch limits: the explicit settings, else its kind and precision's default. */
export function rerankerBatchLimits(rr: CrossEncoderSpec, config: Config): BatchLimits {
  return batchBudget('cross-encoder', graphPlan(rr.folder.onnxPath, config, 'cross-encoder').precision, explicitLimits(config));
}

export function rerankerEngineModel(rr: CrossEncoderSpec, config: Config, log?: Pick<CacheLog, 'info'>): EngineModel {
  const plan = graphPlan(rr.folder.onnxPath, config, 'cross-encoder', log);
  return {
    role: 'reranker',
    tokenizer: { kind: 'pairs', files: rr.folder.tokenizer, maxLength: rr.maxLength, lowercase: false },
    session: { onnxPath: rr.folder.onnxPath, padId: rr.tokenizer.padId, head: rr.head, label: 'reranker', rewrites: plan.rewrites, rewrittenPath: plan.rewrittenPath },
    // The same function /info reports from, so the two cannot disagree.
    limits: rerankerBatchLimits(rr, config),
  };
}

export function embedderEngineModel(em: EmbedderSpec, config: Config, log?: Pick<CacheLog, 'info'>): EngineModel {
  const plan = graphPlan(em.folder.onnxPath, config, 'embedder', log);
  return {
    role: 'embedder',
    tokenizer: { kind: 'texts', files: em.folder.tokenizer, maxLength: em.maxLength, lowercase: em.encoder.lowercase },
    // Vectors leave the worker as pooled: the cache keeps them so, and each route normalises as it promises.
    session: { onnxPath: em.folder.onnxPath, padId: em.tokenizer.padId, head: { ...em.head, normalize: false }, label: 'embedder', rewrites: plan.rewrites, rewrittenPath: plan.rewrittenPath },
    limits: batchBudget('embedder', plan.precision, explicitLimits(config)),
  };
}
