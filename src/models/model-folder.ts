import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ModelLoadError } from '../errors.js';
import type { TokenizerFiles } from '../text/tokenizer.js';
import { tokenizerJsonFromVocab } from '../text/vocab-tokenizer.js';

/** The parts of a Hugging Face config.json the service reads. */
export interface HfModelConfig {
  architectures?: string[];
  model_type?: string;
  max_position_embeddings?: number;
  pad_token_id?: number;
  id2label?: Record<string, string>;
  [key: string]: unknown;
}

export type JsonObject = Record<string, unknown>;

export interface ModelFolder {
  dir: string;
  /** Folder name, or owner/name for folders laid out as models/<owner>/<name>. */
  name: string;
  config: HfModelConfig;
  tokenizerJson: JsonObject;
  tokenizerConfig: JsonObject;
  /** True when tokenizer.json was missing and the tokenizer was built from vocab.txt. */
  tokenizerFromVocab: boolean;
  /** What the tokenizer is built from. */
  tokenizer: TokenizerFiles;
  /** Every file that shapes the token ids, for the model's cache identity. */
  tokenizerPaths: string[];
  onnxPath: string;
  /** Longest pair the model accepts, special tokens included, before any --max-length cap. */
  modelMaxLength: number;
  numLabels: number;
  /** Label whose probability is the relevance score when the model has more than one output. */
  relevantLabel: number;
}

/** Their learned position table starts after the padding index, so 514 positions mean 512 usable. */
const POSITION_OFFSET_FAMILIES = new Set(['roberta', 'xlm-roberta', 'camembert', 'xlm-roberta-xl', 'data2vec-text', 'mpnet', 'longformer', 'ibert', 'luke', 'markuplm', 'roberta-prelayernorm', 'xmod']);
/** Files that change how text becomes token ids when they change. */
const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'sentencepiece.bpe.model', 'added_tokens.json'];

/** The task an ONNX file was exported for, named in the fix when it is missing. */
export type ExportTask = 'text-classification' | 'feature-extraction' | 'text-generation-with-past';

/** transformers writes int(1e30) when a tokenizer has no length limit of its own. */
const UNLIMITED = 1e18;
const RELEVANT_LABEL = /^(relevant|relevance|yes|true|positive|entailment|label_1|1)$/i;

export function readJson(dir: string, file: string, required: true, fix: string): JsonObject;
export function readJson(dir: string, file: string, required: false, fix: string): JsonObject | undefined;
export function readJson(dir: string, file: string, required: boolean, fix: string): JsonObject | undefined {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (required) throw new ModelLoadError(dir, `${file} is missing`, fix);
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as JsonObject;
  } catch (err) {
    throw new ModelLoadError(path, `${file} is not valid JSON (${(err as Error).message})`, 'Download the file again.');
  }
}

/** Where a folder's fp32 model is looked for when no --onnx-file names one: the hub's layout, then a flat one. */
export const DEFAULT_ONNX_FILES = ['onnx/model.onnx', 'model.onnx'] as const;

function resolveOnnx(dir: string, onnxFile: string | undefined, task: ExportTask): string {
  const candidates = onnxFile === undefined ? DEFAULT_ONNX_FILES : [onnxFile];
  for (const rel of candidates) {
    const path = resolve(dir, rel);
    if (existsSync(path) && statSync(path).isFile()) return path;
  }
  const what = onnxFile === undefined ? 'no ONNX weights at onnx/model.onnx or model.onnx' : `the ONNX file ${onnxFile} does not exist`;
  throw new ModelLoadError(
    dir,
    what,
    `Pull a repository that ships ONNX weights, export the model with \`optimum-cli export onnx --task ${task}\`, or name the file with --onnx-file.`,
  );
}

function folderName(dir: string): string {
  const parts = resolve(dir).split(/[\\/]/).filter(Boolean);
  const i = parts.lastIndexOf('models');
  if (i >= 0 && parts.length - i === 3) return `${parts[i + 1]}/${parts[i + 2]}`;
  return basename(resolve(dir));
}

function labelInfo(config: HfModelConfig, dir: string): { numLabels: number; relevantLabel: number } {
  const id2label = config.id2label ?? {};
  const ids = Object.keys(id2label).map(Number);
  const numLabels = ids.length > 0 ? Math.max(...ids) + 1 : Number(config['num_labels'] ?? 1);
  if (!Number.isInteger(numLabels) || numLabels < 1) {
    throw new ModelLoadError(dir, 'config.json has an unusable id2label', 'Give id2label one entry per classifier output.');
  }
  if (numLabels === 1) return { numLabels, relevantLabel: 0 };
  const named = ids.find((id) => RELEVANT_LABEL.test(String(id2label[String(id)] ?? '')));
  return { numLabels, relevantLabel: named ?? 1 };
}

/** Positions the model's embedding table has room for, or undefined when config.json does not say. */
export function positionLimit(config: HfModelConfig): number | undefined {
  if (typeof config.max_position_embeddings !== 'number') return undefined;
  const offset = POSITION_OFFSET_FAMILIES.has(config.model_type ?? '') ? 2 : 0;
  return config.max_position_embeddings - offset;
}

function maxLengthOf(config: HfModelConfig, tokenizerConfig: JsonObject): number {
  const limits: number[] = [];
  const tokLimit = Number(tokenizerConfig['model_max_length']);
  if (Number.isFinite(tokLimit) && tokLimit > 0 && tokLimit < UNLIMITED) limits.push(tokLimit);
  const positions = positionLimit(config);
  if (positions !== undefined) limits.push(positions);
  return limits.length > 0 ? Math.min(...limits) : 512;
}

/** Reads and checks a model folder as downloaded from the hub; every failure names the file and the fix. */
export function loadModelFolder(dir: string, onnxFile?: string, task: ExportTask = 'text-classification'): ModelFolder {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new ModelLoadError(root, 'the folder does not exist', 'Pass --model with a model folder, or run `npm run model:pull -- <repo id>` first.');
  }
  const config = readJson(root, 'config.json', true, 'A model folder needs the config.json from its hub repository.') as HfModelConfig;
  const tokenizerConfig = readJson(root, 'tokenizer_config.json', false, '') ?? {};
  const specialTokens = readJson(root, 'special_tokens_map.json', false, '') ?? {};
  let tokenizerJson = readJson(root, 'tokenizer.json', false, '');
  let tokenizerFromVocab = false;
  if (tokenizerJson === undefined) {
    const vocabPath = join(root, 'vocab.txt');
    if (!existsSync(vocabPath)) {
      throw new ModelLoadError(root, 'neither tokenizer.json nor vocab.txt is present', 'Download tokenizer.json (or vocab.txt for BERT models) from the model repository.');
    }
    tokenizerJson = tokenizerJsonFromVocab(readFileSync(vocabPath, 'utf8'), { ...specialTokens, ...tokenizerConfig });
    tokenizerFromVocab = true;
  }
  if (typeof tokenizerJson['model'] !== 'object' || tokenizerJson['model'] === null) {
    throw new ModelLoadError(join(root, 'tokenizer.json'), 'it has no "model" section', 'Download tokenizer.json again from the model repository.');
  }
  const onnxPath = resolveOnnx(root, onnxFile, task);
  const mergedConfig = { ...specialTokens, ...tokenizerConfig };
  return {
    dir: root,
    name: folderName(root),
    config,
    tokenizerJson,
    tokenizerConfig: mergedConfig,
    tokenizerFromVocab,
    tokenizer: {
      source: join(root, tokenizerFromVocab ? 'vocab.txt' : 'tokenizer.json'),
      tokenizerJson,
      tokenizerConfig: mergedConfig,
      padTokenId: typeof config.pad_token_id === 'number' ? config.pad_token_id : undefined,
    },
    tokenizerPaths: TOKENIZER_FILES.map((f) => join(root, f)).filter((p) => existsSync(p)),
    onnxPath,
    modelMaxLength: maxLengthOf(config, tokenizerConfig),
    ...labelInfo(config, root),
  };
}
