import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgedModel } from '../support/forged-model.js';

/**
 * Issue 24: the commands that run for minutes say how far they are, with an ETA, and an interrupted
 * `optimize` leaves no temporary variants behind. Real processes; each gets a TMPDIR of its own, so
 * what is left in it is what that process left.
 */
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'long-commands-'));
});
afterAll(async () => rm(work, { recursive: true, force: true }));

async function copyModel(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(await forgedModel(), dir, { recursive: true });
  return dir;
}

describe('long commands', () => {
  it('quantize --check prints progress with an ETA on stderr', async () => {
    const model = await copyModel('quantize');
    const child = spawn(process.execPath, [CLI, 'quantize', '--model', model, '--check', '--check-queries', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(stderr).toMatch(/checking int8 against fp32 \(queries\) \|.*\| 2\/2 \| \d+s elapsed, ETA \d+s/);
    expect((await readdir(join(model, 'onnx'))).sort()).toEqual(['model.onnx', 'model_quantized.onnx']);
  }, 60_000);

  it('optimize --measure shows progress, and SIGINT removes its temporary variants and exits 130', async () => {
    const model = await copyModel('optimize');
    const tmp = await mkdtemp(join(work, 'tmp-'));
    const child = spawn(process.execPath, [CLI, 'optimize', '--model', model, '--rewrites', 'all', '--measure', '--rounds', '50'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    let stderr = '';
    const started = new Promise<void>((resolve) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('measuring rewrites (query runs)')) resolve();
      });
    });
    await started;
    // The variants are on disk while it measures.
    expect((await readdir(tmp)).filter((f) => f.startsWith('reranker-optimize-'))).toHaveLength(1);
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(130);
    // (Other libraries may leave their own files in TMPDIR; the optimizer's folder is what must be gone.)
    expect((await readdir(tmp)).filter((f) => f.startsWith('reranker-optimize-'))).toEqual([]);
    expect(await readdir(join(model, 'onnx'))).toEqual(['model.onnx']);
  }, 120_000);
});
