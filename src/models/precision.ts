import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { access, constants, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { quantizeOnnxFile } from '../graph/quantize/quantize-file.js';
import { hasFastInt8, type CpuFeatures } from '../runtime/cpu-features.js';
import { DEFAULT_ONNX_FILES } from './model-folder.js';

export const PRECISIONS = ['fp32', 'int8', 'auto'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Where --precision int8 looks, in the hub's onnx/ layout, and what our own quantizer writes. */
export const QUANTIZED_FILE = 'onnx/model_quantized.onnx';

/**
 * The int8 files a hub repo's ONNX export ships (optimum's per-CPU dynamic quantization), best first
 * for this CPU. A file made for VNNI uses signed int8 activations, which AVX2's u8s8 kernels can
 * saturate on, so an AVX2 machine is never handed one; our own quantized file comes last.
 */
export function int8Candidates(cpu: CpuFeatures): string[] {
  const files: string[] = [];
  if (cpu.arch === 'arm64') files.push('onnx/model_qint8_arm64.onnx');
  else {
    if (cpu.flags.has('avx512_vnni') || cpu.flags.has('amx_int8')) files.push('onnx/model_qint8_avx512_vnni.onnx');
    if (cpu.flags.has('avx512f')) files.push('onnx/model_qint8_avx512.onnx');
    if (cpu.flags.has('avx2')) files.push('onnx/model_quint8_avx2.onnx');
  }
  return [...files, QUANTIZED_FILE];
}

export interface ChosenFile {
  /** For --onnx-file: inside the folder, or an absolute path to a cached quantized copy. */
  onnxFile: string | undefined;
  /** For the start log and /info's reader: which precision runs and why this file. */
  reason: string;
}

/**
 * Which ONNX file a --precision asks for (issue 24): fp32 is the folder's own model (the exact one);
 * int8 is the file the repo ships for this CPU, else our quantizer's output, made at start from the
 * fp32 file and kept next to it (or in a cache folder when the model folder is read-only); auto is
 * int8 where the CPU has fast int8 dot products and fp32 elsewhere. An --onnx-file always wins.
 */
export async function chooseOnnxFile(dir: string, precision: Precision, onnxFile: string | undefined, cpu: CpuFeatures, log: (msg: string) => void): Promise<ChosenFile> {
  if (onnxFile !== undefined) {
    if (precision !== 'fp32') throw new ConfigError(`--onnx-file names the file and --precision ${precision} would choose one: pass only one of them.`);
    return { onnxFile, reason: `--onnx-file ${onnxFile}` };
  }
  const int8 = precision === 'int8' || (precision === 'auto' && hasFastInt8(cpu));
  if (!int8) return { onnxFile: undefined, reason: precision === 'auto' ? 'fp32 (auto: no fast int8 dot products on this CPU)' : 'fp32' };
  const root = path.resolve(dir);
  const shipped = int8Candidates(cpu).find((rel) => isFile(path.join(root, rel)));
  if (shipped !== undefined) return { onnxFile: shipped, reason: `int8: ${shipped}, the folder's file for this CPU` };
  const source = DEFAULT_ONNX_FILES.map((rel) => path.join(root, rel)).find(isFile);
  if (source === undefined) throw new ConfigError(`--precision ${precision}: ${root} has neither an int8 file (${int8Candidates(cpu).join(', ')}) nor onnx/model.onnx to quantize.`);
  const beside = path.join(path.dirname(source), 'model_quantized.onnx');
  const target = (await writable(path.dirname(source))) ? beside : cachedCopy(source);
  if (!isFile(target)) {
    log(`--precision ${precision}: quantizing ${path.relative(root, source)} to int8 into ${target} (once; later starts reuse it)`);
    // Written under a temporary name and renamed, so an interrupted start never leaves half a file to reuse.
    const partial = `${target}.${process.pid}.partial`;
    try {
      await quantizeOnnxFile(source, partial, {}, { dataFile: `${path.basename(target)}_data` });
      await rename(partial, target);
    } finally {
      await rm(partial, { force: true });
    }
  }
  const rel = target === beside ? path.relative(root, target) : target;
  return { onnxFile: rel, reason: `int8: ${rel}, quantized by this service from ${path.relative(root, source)}` };
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

async function writable(dir: string): Promise<boolean> {
  return access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
}

/** A read-only folder (a mounted volume): the copy goes to a cache keyed by the fp32 file's path, size and time. */
function cachedCopy(source: string): string {
  const s = statSync(source);
  const key = createHash('sha256').update(`${source}\0${s.size}\0${s.mtimeMs}`).digest('hex').slice(0, 16);
  // quantizeOnnxFile creates the folder.
  return path.join(tmpdir(), 'reranker-int8', key, 'model_quantized.onnx');
}
