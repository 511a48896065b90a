import type { ModelRole } from '../../metrics.js';
import type { HeadSettings } from '../../runtime/heads/index.js';
import type { EncodeJob } from '../../text/encode-job.js';
import type { EncoderRecipe } from '../../text/encoders.js';
import type { TextTokenizer } from '../../text/tokenizer.js';
import type { JsonObject, ModelFolder } from '../model-folder.js';
import type { BatchBudgets } from './encoder-budgets.js';

export interface LoadOptions {
  onnxFile?: string | undefined;
  maxLength?: number | undefined;
  /** Decoder rerankers: the prompt template (--reranker-template) and default instruction (--reranker-instruction). */
  template?: string | undefined;
  instruction?: string | undefined;
}

/** What every kind reads from its folder; a kind adds its own fields. */
export interface ModelSpec {
  folder: ModelFolder;
  tokenizer: TextTokenizer;
  /** Tokens per sequence after every cap: tokenizer, position table, the --max-length setting. */
  maxLength: number;
  head: HeadSettings;
}

/**
 * Everything that makes one kind of model what it is, in one place: how its folder is recognised
 * and read, its template, its head, its batch budget, its warm-up job, its role (the metric label
 * and the routes that use it), its cache identity and what /info says of it. The engine, the
 * workers and the tokenizer threads are generic over it; a new kind is one file like this one,
 * one head in runtime/heads/ and a line in ./index.ts.
 */
export interface ModelKind<S extends ModelSpec = ModelSpec> {
  readonly name: string;
  readonly role: ModelRole;
  /** Whether a folder of this kind's role is of this kind, from its config.json (architectures, model_type). */
  recognises(config: JsonObject): boolean;
  /** Reads and checks the folder; cheap and synchronous, so a broken folder fails before listening. */
  load(dir: string, opts: LoadOptions): S;
  /** How its texts become ids, as data for the tokenizer threads. */
  encoder(spec: S): EncoderRecipe;
  /** How its output becomes rows, as data for the inference workers. */
  sessionHead(spec: S): HeadSettings;
  /** Graph rewrites applied at load by default: the ones that measured faster for this kind (graph/rewrites/). */
  readonly rewrites: readonly string[];
  /** The rewrites for one folder, when they depend on it (a rewrite's arguments after a colon); default `rewrites`. */
  rewritesFor?(spec: S): string[];
  /**
   * Its batches hold a worker for seconds, not milliseconds (a decoder LLM): served beside other
   * models, it may not take every worker (engine/create-engine.ts, fair sharing).
   */
  readonly longBatches?: boolean;
  /** Whether its template reads a request's `instruction` (cache keys include it only then). */
  readonly usesInstruction?: boolean;
  readonly budgets: BatchBudgets;
  /** A tiny job run once on every worker before the service reports ready. */
  readonly warmUp: EncodeJob;
  /** The files and settings that decide its outputs: its cache identity (models/model-identity.ts). */
  identity(spec: S): { files: string[]; settings: object };
  /** The kind's own fields in /info (the common ones, name, file, limits, come from the registry). */
  info(spec: S): Record<string, unknown>;
}
