import { basename } from 'node:path';
import type { BatchLimits } from '../engine/batch-plan.js';
import type { EngineModel } from '../engine/engine.js';
import type { GraphPrecision } from '../graph/index.js';
import type { Log } from '../log.js';
import type { ModelRole } from '../metrics.js';
import { ModelLoadError } from '../errors.js';
import { TOKENIZATION_VERSION } from '../text/tokenizer.js';
import { batchBudget } from './kinds/encoder-budgets.js';
import type { LoadOptions, ModelKind, ModelSpec } from './kinds/index.js';
import { graphPlan } from './graph-plans.js';
import { readJson, type JsonObject } from './model-folder.js';
import { modelIdentity } from './model-identity.js';

/** How models are run, whatever their kind: from the config, the same for every model. */
export interface ModelSettings {
  /** Apply the rewrites each kind turns on at load (--graph-rewrites). */
  graphRewrites: boolean;
  /** --max-batch-tokens / --max-batch-size, when set: they win over every kind's budget. */
  limits: Partial<BatchLimits>;
}

/** One model as the service holds it: read, planned and described once, at load. */
export interface LoadedModel<S extends ModelSpec = ModelSpec> {
  /** The engine's handle for it, unique in the registry (today its role: one model per role). */
  readonly id: string;
  readonly kind: ModelKind<S>;
  readonly spec: S;
  /** The name clients use and responses carry. */
  readonly servedName: string;
  readonly precision: GraphPrecision;
  readonly limits: BatchLimits;
  readonly engine: EngineModel;
  /** The model's cache identity: its name, the files and settings that decide its outputs. */
  identity(): Promise<string>;
}

/** A folder read as `kind` and planned for the engine; the identity is hashed on first use and kept. */
export function loadedModel<S extends ModelSpec>(kind: ModelKind<S>, spec: S, servedName: string, settings: ModelSettings, log?: Log): LoadedModel<S> {
  const plan = graphPlan(spec.folder.onnxPath, settings.graphRewrites ? (kind.rewritesFor?.(spec) ?? kind.rewrites) : [], log);
  checkTokenRange(spec, plan.tokenRows);
  const limits = batchBudget(kind.budgets, plan.precision, settings.limits);
  let identity: Promise<string> | undefined;
  return {
    id: kind.role,
    kind,
    spec,
    servedName,
    precision: plan.precision,
    limits,
    engine: {
      id: kind.role,
      label: kind.role,
      encoder: kind.encoder(spec),
      session: { onnxPath: spec.folder.onnxPath, padId: spec.tokenizer.padId, head: kind.sessionHead(spec), label: kind.role, rewrites: plan.rewrites, rewrittenPath: plan.rewrittenPath },
      limits,
      warmUp: kind.warmUp,
    },
    identity() {
      const { files, settings: shaping } = kind.identity(spec);
      identity ??= modelIdentity(servedName, files, { ...shaping, tokenization: TOKENIZATION_VERSION });
      return identity;
    },
  };
}

/**
 * Refuses, at load, a tokenizer that can produce ids the model has no embedding row for (issue 23):
 * ONNX Runtime would fail every batch holding such a token, and the other requests sharing it. The
 * rows come from the graph, else from config.json's vocab_size; the pad id must fit too.
 */
function checkTokenRange(spec: ModelSpec, graphRows: number | undefined): void {
  const configRows = typeof spec.folder.config['vocab_size'] === 'number' ? spec.folder.config['vocab_size'] : undefined;
  const rows = graphRows ?? configRows;
  if (rows === undefined) return;
  const where = graphRows !== undefined ? `${basename(spec.folder.onnxPath)}'s token embedding has ${rows} rows` : `config.json's vocab_size is ${rows}`;
  const { idLimit, padId } = spec.tokenizer;
  if (idLimit > rows) {
    throw new ModelLoadError(spec.folder.dir, `the tokenizer (${basename(spec.folder.tokenizer.source)}) has ids up to ${idLimit - 1}, but ${where}`, 'Use the tokenizer files of the same repository and revision as the ONNX file.');
  }
  if (padId >= rows) throw new ModelLoadError(spec.folder.dir, `the pad token id is ${padId}, but ${where}`, "Fix pad_token_id in config.json or the pad token in tokenizer_config.json.");
}

/** config.json alone, to choose a kind by; a missing or broken one is the chosen kind's load to report. */
function folderConfig(dir: string): JsonObject {
  try {
    return readJson(dir, 'config.json', false, '') ?? {};
  } catch {
    return {};
  }
}

/** Reads a folder as the first kind of `role` that recognises it (config.json is read to choose only when there is a choice). */
export function loadModel(role: ModelRole, kinds: readonly ModelKind[], dir: string, opts: LoadOptions & { servedName?: string | undefined }, settings: ModelSettings, log?: Log): LoadedModel {
  const candidates = kinds.filter((k) => k.role === role);
  const first = candidates[0];
  if (first === undefined) throw new Error(`no model kind plays the ${role} role`);
  let kind = first;
  if (candidates.length > 1) {
    const config = folderConfig(dir);
    kind = candidates.find((k) => k.recognises(config)) ?? first;
  }
  const spec = kind.load(dir, opts);
  return loadedModel(kind, spec, opts.servedName ?? spec.folder.name, settings, log);
}

/** The loaded models, in the order the engine indexes them; the first of a role serves that role. */
export class ModelRegistry {
  constructor(readonly models: readonly LoadedModel[]) {}

  get engineModels(): EngineModel[] {
    return this.models.map((m) => m.engine);
  }

  byRole(role: ModelRole): LoadedModel | undefined {
    return this.models.find((m) => m.kind.role === role);
  }

  /** The gauge's labels per model: which model plays which role, from which file. */
  describe(version: string): { role: ModelRole; model: string; onnx_file: string; max_length: string; version: string }[] {
    return this.models.map((m) => ({ role: m.kind.role, model: m.servedName, onnx_file: basename(m.spec.folder.onnxPath), max_length: String(m.spec.maxLength), version }));
  }
}
