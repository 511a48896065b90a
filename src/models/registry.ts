import { basename } from 'node:path';
import type { BatchLimits } from '../engine/batch-plan.js';
import type { EngineModel } from '../engine/engine.js';
import type { GraphPrecision } from '../graph/index.js';
import { modelFileBytes } from '../graph/external-data.js';
import { WORKER_BYTES_PER_MODEL_BYTE } from '../engine/pool-shape.js';
import type { Log } from '../log.js';
import type { ModelRole } from '../metrics.js';
import { ConfigError, ModelLoadError } from '../errors.js';
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
  /**
   * The engine's handle for it and its `model` label on metrics, unique in the registry: its role
   * for the default model of each role (`reranker`, `embedder`, as with one model), else its served name.
   */
  readonly id: string;
  readonly kind: ModelKind<S>;
  readonly spec: S;
  /** The name clients use and responses carry. */
  readonly servedName: string;
  readonly precision: GraphPrecision;
  readonly limits: BatchLimits;
  readonly engine: EngineModel;
  /** Estimated memory of its session in one inference worker (engine/pool-shape.ts: the files' bytes times the measured factor). */
  readonly memoryBytes: number;
  /** The model's cache identity: its name, the files and settings that decide its outputs. */
  identity(): Promise<string>;
}

/** A folder read as `kind` and planned for the engine; the identity is hashed on first use and kept. */
export function loadedModel<S extends ModelSpec>(kind: ModelKind<S>, spec: S, servedName: string, settings: ModelSettings, log?: Log, isDefault = true): LoadedModel<S> {
  const id = isDefault ? kind.role : servedName;
  const plan = graphPlan(spec.folder.onnxPath, settings.graphRewrites ? (kind.rewritesFor?.(spec) ?? kind.rewrites) : [], log);
  checkTokenRange(spec, plan.tokenRows);
  const limits = batchBudget(kind.budgets, plan.precision, settings.limits);
  const memoryBytes = modelFileBytes(spec.folder.onnxPath) * WORKER_BYTES_PER_MODEL_BYTE;
  let identity: Promise<string> | undefined;
  return {
    id,
    kind,
    spec,
    servedName,
    precision: plan.precision,
    limits,
    memoryBytes,
    engine: {
      id,
      role: kind.role,
      label: id,
      encoder: kind.encoder(spec),
      session: { onnxPath: spec.folder.onnxPath, padId: spec.tokenizer.padId, head: kind.sessionHead(spec), label: id, rewrites: plan.rewrites, rewrittenPath: plan.rewrittenPath, externalDataDir: plan.externalDataDir },
      limits,
      warmUp: kind.warmUp,
      longBatches: kind.longBatches ?? false,
      precision: plan.precision,
      memoryBytes,
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
export function loadModel(role: ModelRole, kinds: readonly ModelKind[], dir: string, opts: LoadOptions & { servedName?: string | undefined; isDefault?: boolean | undefined }, settings: ModelSettings, log?: Log): LoadedModel {
  const candidates = kinds.filter((k) => k.role === role);
  const first = candidates[0];
  if (first === undefined) throw new Error(`no model kind plays the ${role} role`);
  let kind = first;
  if (candidates.length > 1) {
    const config = folderConfig(dir);
    kind = candidates.find((k) => k.recognises(config)) ?? first;
  }
  const spec = kind.load(dir, opts);
  return loadedModel(kind, spec, opts.servedName ?? spec.folder.name, settings, log, opts.isDefault ?? true);
}

/** The loaded models, in the order the engine indexes them; the first of a role serves that role by default. */
export class ModelRegistry {
  constructor(readonly models: readonly LoadedModel[]) {
    const seen = new Map<string, LoadedModel>();
    for (const m of models) {
      const other = seen.get(m.servedName);
      if (other !== undefined) throw new ConfigError(`two models are served as "${m.servedName}" (${other.spec.folder.dir} and ${m.spec.folder.dir}): give each its own --served-model-name.`);
      seen.set(m.servedName, m);
    }
  }

  get engineModels(): EngineModel[] {
    return this.models.map((m) => m.engine);
  }

  byRole(role: ModelRole): LoadedModel | undefined {
    return this.models.find((m) => m.kind.role === role);
  }

  /** Every model of a role, the default first. */
  allOf(role: ModelRole): LoadedModel[] {
    return this.models.filter((m) => m.kind.role === role);
  }

  /** The gauge's labels per model: which model plays which role, from which file. */
  describe(version: string): { role: ModelRole; model: string; onnx_file: string; max_length: string; version: string }[] {
    return this.models.map((m) => ({ role: m.kind.role, model: m.servedName, onnx_file: basename(m.spec.folder.onnxPath), max_length: String(m.spec.maxLength), version }));
  }
}
