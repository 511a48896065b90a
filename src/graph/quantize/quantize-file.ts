import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeWithExternalData, inlineExternalData } from '../external-data.js';
import { decodeModel } from '../onnx-proto.js';
import { quantizeDynamicInt8, type QuantizeOptions, type QuantizeReport } from './dynamic-int8.js';

export interface QuantizeFileResult extends QuantizeReport {
  input: string;
  output: string;
  inputBytes: number;
  outputBytes: number;
  /** The external data file written beside `output` (its name), when the int8 model is still over one protobuf's size. */
  dataFile: string | undefined;
  seconds: number;
}

/** Reads an fp32 ONNX file, writes its dynamic-int8 twin; refuses a graph with nothing to quantize. */
export async function quantizeOnnxFile(input: string, output: string, opts: QuantizeOptions = {}, write: { dataFile?: string } = {}): Promise<QuantizeFileResult> {
  const started = performance.now();
  if (path.resolve(input) === path.resolve(output)) throw new Error('the output must not overwrite the fp32 input');
  const model = decodeModel(await readFile(input));
  // A model over 2 GB keeps its weights beside it; int8 rewrites them all, so they are read in.
  inlineExternalData(model, path.dirname(path.resolve(input)));
  const report = quantizeDynamicInt8(model, opts);
  if (report.quantized.length === 0) {
    const why = report.skipped.length > 0 ? ` (skipped: ${report.skipped.map((s) => `${s.weight}: ${s.reason}`).join('; ')})` : '';
    throw new Error(`${input} has no fp32 weight MatMul to quantize${why}; is it already quantized?`);
  }
  model.producerName = `${model.producerName || 'unknown'}+reranker-quantize`;
  await mkdir(path.dirname(output), { recursive: true });
  const { graph, dataFile } = encodeWithExternalData(model, output, write);
  await writeFile(output, graph);
  return {
    dataFile,
    ...report,
    input,
    output,
    inputBytes: (await stat(input)).size,
    outputBytes: (await stat(output)).size,
    seconds: (performance.now() - started) / 1000,
  };
}
