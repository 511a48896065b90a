import { ModelLoadError } from '../errors.js';
import type { HeadSettings } from '../runtime/onnx-session.js';
import { PairEncoder } from '../text/pair-encoder.js';
import { TextTokenizer } from '../text/tokenizer.js';
import { loadModelFolder, type ModelFolder } from './model-folder.js';

export interface CrossEncoderSpec {
  folder: ModelFolder;
  tokenizer: TextTokenizer;
  encoder: PairEncoder;
  /** Tokens per pair after every cap: tokenizer, position table, --max-length. */
  maxLength: number;
  head: HeadSettings;
}

/** Everything about a model folder that the main thread needs; sessions are created where they run. */
export function loadCrossEncoder(dir: string, opts: { onnxFile?: string | undefined; maxLength?: number | undefined }): CrossEncoderSpec {
  const folder = loadModelFolder(dir, opts.onnxFile, 'text-classification');
  const tokenizer = new TextTokenizer(folder.tokenizer);
  const maxLength = Math.min(folder.modelMaxLength, opts.maxLength ?? Infinity);
  if (maxLength < tokenizer.templates.pair.specialCount + 2) {
    throw new ModelLoadError(folder.dir, `a max length of ${maxLength} leaves no room for a query and a document`, 'Raise --max-length.');
  }
  return {
    folder,
    tokenizer,
    encoder: new PairEncoder(tokenizer, maxLength),
    maxLength,
    head: { kind: 'classifier', numLabels: folder.numLabels, relevantLabel: folder.relevantLabel },
  };
}
