import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgeModel, type ForgeOptions } from '../../src/tools/forge/index.js';

const ROOT = join(tmpdir(), 'reranker-test-models');

/**
 * A forged model folder shared by every test that asks for the same options. Forged into a private
 * folder and renamed into place, so parallel test files never see half a folder.
 */
export async function forgedModel(opts: Omit<ForgeOptions, 'out'> = {}): Promise<string> {
  const key = JSON.stringify({ preset: 'tiny', seed: 42, ...opts }).replace(/[^a-z0-9-]+/gi, '_');
  const dir = join(ROOT, key);
  if (existsSync(join(dir, 'config.json'))) return dir;
  mkdirSync(ROOT, { recursive: true });
  const work = mkdtempSync(join(ROOT, 'forging-'));
  await forgeModel({ ...opts, out: work });
  try {
    renameSync(work, dir);
  } catch {
    // Another test file won the race; its folder is identical.
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}
