import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { quantizeOnnxFile } from '../../src/graph/quantize/quantize-file.js';
import { chooseOnnxFile, int8Candidates, QUANTIZED_FILE } from '../../src/models/precision.js';
import type { CpuFeatures } from '../../src/runtime/cpu-features.js';
import { hasFastInt8 } from '../../src/runtime/cpu-features.js';
import { forgedModel } from '../support/forged-model.js';
import { freePort } from '../support/free-port.js';

/**
 * Issue 24, item 4: --precision picks the file. The folders are laid out like the hub's cross-encoder
 * repos (onnx/model.onnx and optimum's per-CPU int8 files, here real int8 files of a forged model);
 * the CPUs are described, not detected, so every branch runs on any machine.
 */
const cpu = (arch: string, ...flags: string[]): CpuFeatures => ({ arch, flags: new Set(flags) });
const ZEN3 = cpu('x64', 'avx', 'avx2', 'fma');
const ZEN4 = cpu('x64', 'avx2', 'avx512f', 'avx512_vnni');
const SKYLAKE = cpu('x64', 'avx2', 'avx512f');
const SAPPHIRE_RAPIDS = cpu('x64', 'avx2', 'avx512f', 'avx512_vnni', 'amx_int8');
const GRAVITON = cpu('arm64');
const HUB_INT8 = ['onnx/model_qint8_avx512_vnni.onnx', 'onnx/model_qint8_avx512.onnx', 'onnx/model_quint8_avx2.onnx', 'onnx/model_qint8_arm64.onnx'];

let work: string;
let hub: string;
let plain: string;
const logs: string[] = [];
const log = (m: string): number => logs.push(m);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'precision-'));
  const forged = await forgedModel();
  hub = join(work, 'hub-layout');
  plain = join(work, 'fp32-only');
  await cp(forged, hub, { recursive: true });
  await cp(forged, plain, { recursive: true });
  for (const file of HUB_INT8) await quantizeOnnxFile(join(hub, 'onnx/model.onnx'), join(hub, file));
});
afterAll(async () => rm(work, { recursive: true, force: true }));

describe('int8Candidates and hasFastInt8', () => {
  it('hand each CPU the file made for it, never a signed-int8 file to AVX2, and our own quantized file last', () => {
    expect(int8Candidates(ZEN3)).toEqual(['onnx/model_quint8_avx2.onnx', QUANTIZED_FILE]);
    expect(int8Candidates(ZEN4)).toEqual(['onnx/model_qint8_avx512_vnni.onnx', 'onnx/model_qint8_avx512.onnx', 'onnx/model_quint8_avx2.onnx', QUANTIZED_FILE]);
    expect(int8Candidates(SKYLAKE)).toEqual(['onnx/model_qint8_avx512.onnx', 'onnx/model_quint8_avx2.onnx', QUANTIZED_FILE]);
    expect(int8Candidates(SAPPHIRE_RAPIDS)[0]).toBe('onnx/model_qint8_avx512_vnni.onnx');
    expect(int8Candidates(GRAVITON)).toEqual(['onnx/model_qint8_arm64.onnx', QUANTIZED_FILE]);
    expect([ZEN3, ZEN4, SKYLAKE, SAPPHIRE_RAPIDS, GRAVITON].map(hasFastInt8)).toEqual([false, true, false, true, true]);
  });
});

describe('chooseOnnxFile on a hub-shaped folder', () => {
  it('fp32 is the folder\'s own model; int8 the CPU\'s file; auto int8 only with fast int8 dot products', async () => {
    expect(await chooseOnnxFile(hub, 'fp32', undefined, ZEN4, log)).toEqual({ onnxFile: undefined, reason: 'fp32' });
    expect((await chooseOnnxFile(hub, 'int8', undefined, ZEN3, log)).onnxFile).toBe('onnx/model_quint8_avx2.onnx');
    expect((await chooseOnnxFile(hub, 'int8', undefined, ZEN4, log)).onnxFile).toBe('onnx/model_qint8_avx512_vnni.onnx');
    expect((await chooseOnnxFile(hub, 'int8', undefined, SKYLAKE, log)).onnxFile).toBe('onnx/model_qint8_avx512.onnx');
    expect((await chooseOnnxFile(hub, 'int8', undefined, GRAVITON, log)).onnxFile).toBe('onnx/model_qint8_arm64.onnx');
    expect(await chooseOnnxFile(hub, 'auto', undefined, ZEN3, log)).toEqual({ onnxFile: undefined, reason: 'fp32 (auto: no fast int8 dot products on this CPU)' });
    expect(await chooseOnnxFile(hub, 'auto', undefined, SAPPHIRE_RAPIDS, log)).toEqual({ onnxFile: 'onnx/model_qint8_avx512_vnni.onnx', reason: "int8: onnx/model_qint8_avx512_vnni.onnx, the folder's file for this CPU" });
    // Nothing was quantized: every int8 answer came from the folder.
    expect(logs).toEqual([]);
  });

  it('an --onnx-file wins over fp32, and is refused beside int8 or auto', async () => {
    expect((await chooseOnnxFile(hub, 'fp32', 'onnx/model_quint8_avx2.onnx', ZEN4, log)).onnxFile).toBe('onnx/model_quint8_avx2.onnx');
    await expect(chooseOnnxFile(hub, 'int8', 'onnx/model.onnx', ZEN4, log)).rejects.toThrow(new ConfigError('--onnx-file names the file and --precision int8 would choose one: pass only one of them.'));
  });
});

describe('chooseOnnxFile on a folder with the fp32 file alone', () => {
  it('quantizes once, next to the fp32 file, and reuses it on the next start', async () => {
    logs.length = 0;
    const first = await chooseOnnxFile(plain, 'int8', undefined, ZEN3, log);
    expect(first).toEqual({ onnxFile: QUANTIZED_FILE, reason: `int8: ${QUANTIZED_FILE}, quantized by this service from onnx/model.onnx` });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^--precision int8: quantizing onnx\/model.onnx to int8 into .*onnx\/model_quantized.onnx/);
    // No half-written file is left beside it.
    expect((await readdir(join(plain, 'onnx'))).sort()).toEqual(['model.onnx', 'model_quantized.onnx']);
    const again = await chooseOnnxFile(plain, 'int8', undefined, ZEN4, log);
    expect(again.onnxFile).toBe(QUANTIZED_FILE);
    expect(logs).toHaveLength(1);
  });
});

describe('reranker serve --precision int8, from the outside', () => {
  it('serves the quantized file, says so in its log and /info, and reranks', async () => {
    const folder = join(work, 'served');
    await cp(await forgedModel(), folder, { recursive: true });
    const port = await freePort();
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const child = spawn(process.execPath, [cli, 'serve', '--model', folder, '--precision', 'int8', '--embedding-model', 'none', '--store', 'none', '--workers', '1', '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 300 && (await fetch(`${url}/health`).catch(() => undefined))?.status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
      const info = (await (await fetch(`${url}/info`)).json()) as { onnx_file: string };
      expect(info.onnx_file).toBe('onnx/model_quantized.onnx');
      const res = await fetch(`${url}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'q', documents: ['a', 'b'] }) });
      expect(res.status).toBe(200);
      expect(out).toContain('reranker ONNX file: int8: onnx/model_quantized.onnx, quantized by this service from onnx/model.onnx');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }, 60_000);
});

