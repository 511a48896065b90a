import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeWithExternalData } from '../../../graph/external-data.js';
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
  /** 'gqa': attention as ONNX Runtime's fused GroupQueryAttention (onnx-community's exports); default decomposed. */
  attention?: 'decomposed' | 'gqa';
  /** Writes the weights to onnx/model.onnx_data even when they would fit the graph (tests of external data at a small size). */
  externalData?: boolean;
}

/** Qwen's ids of "no" and "yes", and of <|endoftext|>, its pad token. */
const NO_YES: [number, number] = [2152, 9693];
const PAD_ID = 151643;

/** Writes a Hugging Face-layout causal-LM reranker folder (config.json, the Qwen tokenizer, onnx/model.onnx) with seeded weights. */
export async function forgeDecoder(opts: DecoderForgeOptions): Promise<{ dir: string; onnxFile: string; preset: DecoderPreset }> {
  const preset = { ...DECODER_PRESETS[opts.preset], ...(opts.tieWordEmbeddings === undefined ? {} : { tieWordEmbeddings: opts.tieWordEmbeddings }) };
  const seed = opts.seed ?? 42;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const dir = path.resolve(opts.out);
  const onnxFile = path.resolve(dir, opts.onnxPath ?? 'onnx/model.onnx');
  await mkdir(path.dirname(onnxFile), { recursive: true });
  await writeQwenTokenizerFiles(dir);
  const classifier = opts.task === 'sequence-classification';
  const weights = generateDecoderWeights(preset, seed, classifier ? NO_YES : undefined);
  const model = buildDecoderModel({ preset, weights, pastKeyValues: !classifier && (opts.pastKeyValues ?? true), head: classifier ? 'score' : 'lm', padId: PAD_ID, attention: opts.attention ?? 'decomposed' });
  // Over one protobuf's 2 GB (the 0.6B's fp32 is 2.4 GB) the weights go to model.onnx_data beside
  // the graph, as the hub's exports of these models ship them.
  const { graph, dataFile } = encodeWithExternalData(model, onnxFile, opts.externalData === true ? { inlineLimit: 0 } : {});
  if (dataFile === undefined) await rm(`${onnxFile}_data`, { force: true });
  await writeFile(onnxFile, graph);
  const config = buildDecoderConfigJson(preset, seed);
  const classifierFields = { architectures: ['Qwen3ForSequenceClassification'], id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 }, pad_token_id: PAD_ID };
  await writeFile(path.join(dir, 'config.json'), `${JSON.stringify(classifier ? { ...config, ...classifierFields } : config, null, 2)}\n`);
  return { dir, onnxFile, preset };
}
