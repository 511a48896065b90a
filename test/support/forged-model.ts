import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgeDecoder, type DecoderForgeOptions } from '../../src/tools/forge/decoder/index.js';
import { forgeModel, type ForgeOptions } from '../../src/tools/forge/index.js';

const ROOT = join(tmpdir(), 'reranker-test-models');

/**
 * A forged model folder shared by every test that asks for the same options. Forged into a private
 * folder and renamed into place, so parallel test files never see half a folder.
 */
export async function forgedModel(opts: Omit<ForgeOptions, 'out'> = {}): Promise<string> {
  return forgedOnce(JSON.stringify({ preset: 'tiny', seed: 42, ...opts }), (out) => forgeModel({ ...opts, out }));
}

/** A forged decoder reranker (Qwen3 shape, the real Qwen tokenizer), shared like forgedModel's folders. */
export async function forgedDecoder(opts: Partial<Omit<DecoderForgeOptions, 'out'>> = {}): Promise<string> {
  const full = { preset: 'qwen3-reranker-tiny' as const, seed: 42, ...opts };
  return forgedOnce(JSON.stringify({ decoder: true, ...full }), (out) => forgeDecoder({ ...full, out }).then(() => undefined));
}

async function forgedOnce(description: string, forge: (out: string) => Promise<unknown>): Promise<string> {
  const key = description.replace(/[^a-z0-9-]+/gi, '_');
  const dir = join(ROOT, key);
  if (existsSync(join(dir, 'config.json'))) return dir;
  mkdirSync(ROOT, { recursive: true });
  const work = mkdtempSync(join(ROOT, 'forging-'));
  await forge(work);
  try {
    renameSync(work, dir);
  } catch {
    // Another test file won the race; its folder is identical.
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}
