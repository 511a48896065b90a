import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeModel } from '../../../graph/onnx-proto.js';
import { buildDecoderConfigJson, writeQwenTokenizerFiles } from './files.js';
import { buildDecoderModel } from './graph.js';
import { DECODER_PRESETS, type DecoderPreset, type DecoderPresetName } from './presets.js';
import { generateDecoderWeights } from './weights.js';

export { DECODER_PRESETS, isDecoderPresetName, type DecoderPreset, type DecoderPresetName } from './presets.js';
export { DECODER_INIT, DECODER_NAMES, type DecoderLayerNames } from './weights.js';
export { qwenTokenizerPaths } from './files.js';

export interface DecoderForgeOptions {
  out: string;
  preset: DecoderPresetName;
  seed?: number;
  /** Default true: past_key_values inputs and present outputs, as optimum's text-generation-with-past export has them. */
  pastKeyValues?: boolean;
  onnxPath?: string;
  /** Overrides the preset: false writes a separate lm_head (lm_head.weight_t) instead of reusing the embeddings. */
  tieWordEmbeddings?: boolean;
  /** 'sequence-classification': a Qwen3ForSequenceClassification conversion (one logit, yes - no), no cache inputs. */
  task?: 'causal-lm' | 'sequence-classification';
}

/** Qwen's ids of "no" and "yes", and of <|endoftext|>, its pad token. */
const NO_YES: [number, number] = [2152, 9693];
const PAD_ID = 151643;

/** Writes a Hugging Face-layout causal-LM reranker folder (config.json, the Qwen tokenizer, onnx/model.onnx) with seeded weights. */
export async function forgeDecoder(opts: DecoderForgeOptions): Promise<{ dir: string; onnxFile: string; preset: DecoderPreset }> {
  const preset = { ...DECODER_PRESETS[opts.preset], ...(opts.tieWordEmbeddings === undefined ? {} : { tieWordEmbeddings: opts.tieWordEmbeddings }) };
  const seed = opts.seed ?? 42;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const weightBytes = 4 * preset.hiddenSize * (preset.vocabSize * (preset.tieWordEmbeddings ? 1 : 2) + preset.numHiddenLayers * (2 * preset.numAttentionHeads * preset.headDim + 2 * preset.numKeyValueHeads * preset.headDim + 3 * preset.intermediateSize));
  // One protobuf holds at most 2 GB; larger models need ONNX external data, which the forge does not write.
  if (weightBytes > 2.0e9) throw new Error(`${preset.name} has ${(weightBytes / 1e9).toFixed(2)} GB of fp32 weights, more than one ONNX protobuf holds; the forge writes no external data`);
  const dir = path.resolve(opts.out);
  const onnxFile = path.resolve(dir, opts.onnxPath ?? 'onnx/model.onnx');
  await mkdir(path.dirname(onnxFile), { recursive: true });
  await writeQwenTokenizerFiles(dir);
  const classifier = opts.task === 'sequence-classification';
  const weights = generateDecoderWeights(preset, seed, classifier ? NO_YES : undefined);
  const model = buildDecoderModel({ preset, weights, pastKeyValues: !classifier && (opts.pastKeyValues ?? true), head: classifier ? 'score' : 'lm', padId: PAD_ID });
  await writeFile(onnxFile, encodeModel(model));
  const config = buildDecoderConfigJson(preset, seed);
  const classifierFields = { architectures: ['Qwen3ForSequenceClassification'], id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 }, pad_token_id: PAD_ID };
  await writeFile(path.join(dir, 'config.json'), `${JSON.stringify(classifier ? { ...config, ...classifierFields } : config, null, 2)}\n`);
  return { dir, onnxFile, preset };
}
