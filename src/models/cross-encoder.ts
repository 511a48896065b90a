import { ModelLoadError } from '../errors.js';
import { loadModelFolder, type ModelFolder } from './model-folder.js';
import { PairEncoder } from '../text/pair-encoder.js';
import { TextTokenizer } from '../text/tokenizer.js';

export interface CrossEncoderSpec {
  folder: ModelFolder;
  tokenizer: TextTokenizer;
  encoder: PairEncoder;
  /** Tokens per pair after every cap: tokenizer, position table, --max-length. */
  maxLength: number;
}

/** Everything about a model folder that the main thread needs; sessions are created where they run. */
export function loadCrossEncoder(dir: string, opts: { onnxFile?: string | undefined; maxLength?: number | undefined }): CrossEncoderSpec {
  const folder = loadModelFolder(dir, opts.onnxFile);
  const tokenizer = new TextTokenizer(folder);
  const maxLength = Math.min(folder.modelMaxLength, opts.maxLength ?? Infinity);
  if (maxLength < tokenizer.template.specialCount + 2) {
    throw new ModelLoadError(folder.dir, `a max length of ${maxLength} leaves no room for a query and a document`, 'Raise --max-length.');
  }
  return { folder, tokenizer, encoder: new PairEncoder(tokenizer, maxLength), maxLength };
}
