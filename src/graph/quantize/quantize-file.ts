import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeModel, encodeModel } from '../onnx-proto.js';
import { quantizeDynamicInt8, type QuantizeOptions, type QuantizeReport } from './dynamic-int8.js';

export interface QuantizeFileResult extends QuantizeReport {
  input: string;
  output: string;
  inputBytes: number;
  outputBytes: number;
  seconds: number;
}

/** Reads an fp32 ONNX file, writes its dynamic-int8 twin; refuses a graph with nothing to quantize. */
export async function quantizeOnnxFile(input: string, output: string, opts: QuantizeOptions = {}): Promise<QuantizeFileResult> {
  const started = performance.now();
  if (path.resolve(input) === path.resolve(output)) throw new Error('the output must not overwrite the fp32 input');
  const model = decodeModel(await readFile(input));
  const report = quantizeDynamicInt8(model, opts);
  if (report.quantized.length === 0) {
    const why = report.skipped.length > 0 ? ` (skipped: ${report.skipped.map((s) => `${s.weight}: ${s.reason}`).join('; ')})` : '';
    throw new Error(`${input} has no fp32 weight MatMul to quantize${why}; is it already quantized?`);
  }
  model.producerName = `${model.producerName || 'unknown'}+reranker-quantize`;
  await mkdir(path.dirname(output), { recursive: true });
  await writeFile(output, encodeModel(model));
  return {
    ...report,
    input,
    output,
    inputBytes: (await stat(input)).size,
    outputBytes: (await stat(output)).size,
    seconds: (performance.now() - started) / 1000,
  };
}
