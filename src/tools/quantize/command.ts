import path from 'node:path';
import { ConfigError } from '../../errors.js';
import { loadModelFolder } from '../../models/model-folder.js';
import { quantizeOnnxFile } from '../../graph/quantize/quantize-file.js';
import { formatQuantizeResult, formatScoreCheck } from './report-text.js';
import { checkScores } from './score-check.js';
import { progressBar } from '../progress.js';

export interface QuantizeCommandOptions {
  model: string;
  /** fp32 input inside the model folder; default onnx/model.onnx, then model.onnx. */
  onnxFile?: string | undefined;
  /** Output inside the model folder; default model_quantized.onnx next to the input. */
  out?: string | undefined;
  minDim: number;
  exclude: string[];
  /** One weight scale per output column. */
  perChannel?: boolean;
  check: boolean;
  checkQueries: number;
  threads?: number | undefined;
}

function positiveInteger(flag: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${flag} must be a positive integer, got ${value}`);
}

/** The `reranker quantize` command: write the int8 file, then optionally measure it against fp32. */
export async function runQuantizeCommand(opts: QuantizeCommandOptions, write: (text: string) => void): Promise<void> {
  positiveInteger('--min-dim', opts.minDim);
  positiveInteger('--check-queries', opts.checkQueries);
  if (opts.threads !== undefined) positiveInteger('--threads', opts.threads);
  const folder = loadModelFolder(opts.model, opts.onnxFile);
  // Next to the input by default, which for hub layouts is onnx/model_quantized.onnx: the name
  // transformers.js loads for dtype 'q8' and the one to pass the server as --onnx-file.
  const output = opts.out === undefined ? path.join(path.dirname(folder.onnxPath), 'model_quantized.onnx') : path.resolve(folder.dir, opts.out);
  const result = await quantizeOnnxFile(folder.onnxPath, output, { minDim: opts.minDim, exclude: opts.exclude, perChannel: opts.perChannel === true });
  write(formatQuantizeResult(result));
  if (opts.check) {
    const check = await checkScores({
      dir: folder.dir,
      referenceFile: path.relative(folder.dir, folder.onnxPath),
      candidateFile: path.relative(folder.dir, output),
      queries: opts.checkQueries,
      threads: opts.threads,
      progress: (total) => progressBar('checking int8 against fp32 (queries)', total),
    });
    write(formatScoreCheck(check));
  }
  write(`serve it with: reranker serve --model ${folder.dir} --onnx-file ${path.relative(folder.dir, output)}\n`);
}
