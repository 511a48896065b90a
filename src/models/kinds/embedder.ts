import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelLoadError } from '../../errors.js';
import type { PoolingHeadSettings } from '../../runtime/heads/index.js';
import type { PoolingMode, PoolingSettings } from '../../runtime/heads/pooling-modes.js';
import { TextEncoder } from '../../text/text-encoder.js';
import { TextTokenizer } from '../../text/tokenizer.js';
import { loadModelFolder, positionLimit, readJson, type JsonObject } from '../model-folder.js';
import { EMBEDDER_BUDGETS } from './encoder-budgets.js';
import type { LoadOptions, ModelKind, ModelSpec } from './kind.js';
import { packTexts } from '../../text/packed-texts.js';

export interface EmbedderSpec extends ModelSpec {
  encoder: TextEncoder;
  /** Tokens per text after every cap: sentence-transformers' max_seq_length, positions, --embedding-max-length. */
  maxLength: number;
  pooling: PoolingSettings;
  head: PoolingHeadSettings;
  /** Components per vector, as the pooling config declares them (checked against the first inference). */
  dimensions: number | undefined;
  /** Files besides the tokenizer's that shape the vectors, for the cache identity. */
  configPaths: string[];
  /** Modules after the Transformer that only the graph can run (Dense and kin); then it must output sentence_embedding. */
  graphModules: string[];
}

/** `1_Pooling/config.json` keys, in sentence-transformers' concatenation order. */
const POOLING_KEYS: [string, PoolingMode][] = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len'],
  ['pooling_mode_weightedmean_tokens', 'weightedmean'],
  ['pooling_mode_lasttoken', 'lasttoken'],
];
/** The newer single-key form (`"pooling_mode": "mean"`). */
const POOLING_NAMES: Record<string, PoolingMode> = { cls: 'cls', max: 'max', mean: 'mean', mean_sqrt_len_tokens: 'mean_sqrt_len', weightedmean: 'weightedmean', lasttoken: 'lasttoken' };

interface StModule {
  type: string;
  path: string;
}

function modulesOf(dir: string): StModule[] | undefined {
  const path = join(dir, 'modules.json');
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ModelLoadError(path, `modules.json is not valid JSON (${(err as Error).message})`, 'Download modules.json again from the model repository.');
  }
  if (!Array.isArray(raw)) throw new ModelLoadError(path, 'it is not a list of modules', 'Download modules.json again from the model repository.');
  return (raw as JsonObject[]).map((m) => ({ type: String(m['type'] ?? ''), path: String(m['path'] ?? '') }));
}

function poolingModes(config: JsonObject, where: string): PoolingMode[] {
  const named = config['pooling_mode'];
  if (typeof named === 'string') {
    const mode = POOLING_NAMES[named];
    if (mode === undefined) throw new ModelLoadError(where, `pooling_mode "${named}" is not supported`, `Use one of ${Object.keys(POOLING_NAMES).join(', ')}.`);
    return [mode];
  }
  const modes = POOLING_KEYS.filter(([key]) => config[key] === true).map(([, mode]) => mode);
  if (modes.length === 0) throw new ModelLoadError(where, 'no pooling mode is switched on', 'Download 1_Pooling/config.json again from the model repository.');
  return modes;
}

/**
 * The pipeline sentence-transformers would build from the folder: Transformer, then Pooling, then
 * Normalize when listed. Without modules.json (a plain transformers export) it pools by mean and
 * does not normalise, which is what sentence-transformers does with such a folder. Any other module
 * (Dense, a custom one) cannot be reproduced outside the graph and is refused, unless the ONNX
 * file already outputs sentence_embedding (then the session reads that).
 */
function pipelineOf(dir: string): { pooling: PoolingSettings; declaredDims: number | undefined; configPaths: string[]; other: string[] } {
  const modules = modulesOf(dir);
  const configPaths = ['modules.json', 'sentence_bert_config.json'].map((f) => join(dir, f)).filter((p) => existsSync(p));
  if (modules === undefined) return { pooling: { modes: ['mean'], normalize: false }, declaredDims: undefined, configPaths, other: [] };
  let pooling: PoolingSettings = { modes: ['mean'], normalize: false };
  let declaredDims: number | undefined;
  const other: string[] = [];
  for (const m of modules) {
    const kind = m.type.split('.').at(-1) ?? '';
    if (kind === 'Transformer') continue;
    if (kind === 'Normalize') {
      pooling = { ...pooling, normalize: true };
    } else if (kind === 'Pooling') {
      const where = join(dir, m.path, 'config.json');
      const config = readJson(join(dir, m.path), 'config.json', true, 'Download the pooling folder from the model repository.');
      configPaths.push(where);
      const modes = poolingModes(config, where);
      pooling = { ...pooling, modes };
      const dim = Number(config['word_embedding_dimension']);
      declaredDims = Number.isInteger(dim) && dim > 0 ? dim * modes.length : undefined;
    } else {
      other.push(m.type);
    }
  }
  return { pooling, declaredDims, configPaths, other };
}

/** Everything about a sentence-transformers folder that the main thread needs. */
export function loadEmbedder(dir: string, opts: LoadOptions): EmbedderSpec {
  const folder = loadModelFolder(dir, opts.onnxFile, 'feature-extraction');
  const tokenizer = new TextTokenizer(folder.tokenizer);
  const st = readJson(folder.dir, 'sentence_bert_config.json', false, '') ?? {};
  const { pooling, declaredDims, configPaths, other } = pipelineOf(folder.dir);
  // sentence-transformers reads max_seq_length first; the tokenizer's model_max_length only when it is absent.
  const stLength = Number(st['max_seq_length']);
  const declared = Number.isInteger(stLength) && stLength > 0 ? Math.min(stLength, positionLimit(folder.config) ?? Infinity) : folder.modelMaxLength;
  const maxLength = Math.min(declared, opts.maxLength ?? Infinity);
  if (maxLength < tokenizer.templates.single.specialCount + 1) {
    throw new ModelLoadError(folder.dir, `a max length of ${maxLength} leaves no room for a text`, 'Raise --embedding-max-length.');
  }
  const lowercase = st['do_lower_case'] === true;
  const hidden = folder.config['hidden_size'];
  return {
    folder,
    tokenizer,
    encoder: new TextEncoder(tokenizer, maxLength, lowercase),
    maxLength,
    pooling,
    head: { kind: 'pooling', ...pooling, graphModules: other },
    // A Dense module changes the width; then only the first inference can tell it.
    dimensions: other.length > 0 ? undefined : (declaredDims ?? (typeof hidden === 'number' ? hidden * pooling.modes.length : undefined)),
    configPaths,
    graphModules: other,
  };
}

/** A sentence-transformers bi-encoder: one vector per text. */
export const embedder: ModelKind<EmbedderSpec> = {
  name: 'embedder',
  role: 'embedder',
  recognises: () => true,
  load: loadEmbedder,
  encoder: (spec) => ({ template: 'single', files: spec.folder.tokenizer, maxLength: spec.maxLength, lowercase: spec.encoder.lowercase }),
  // Vectors leave the worker as pooled: the cache keeps them so, and each route normalises as it promises.
  sessionHead: (spec) => ({ ...spec.head, normalize: false }),
  rewrites: [],
  budgets: EMBEDDER_BUDGETS,
  warmUp: { kind: 'texts', texts: packTexts(['warm up the session']), truncation: { direction: 'right', truncate: true } },
  identity: (spec) => ({ files: [spec.folder.onnxPath, ...spec.folder.tokenizerPaths, ...spec.configPaths], settings: { maxLength: spec.maxLength, head: spec.head } }),
  info: (spec) => ({ pooling: spec.pooling.modes, normalize: spec.pooling.normalize }),
};
