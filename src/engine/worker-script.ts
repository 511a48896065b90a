import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder above `from` that holds package.json: the package root. */
function packageRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Path of a compiled worker entry (`name` relative to src/engine, e.g. 'inference-worker' or
 * '../store/pglite-worker'). Worker threads load plain JavaScript only: next to this module when it
 * runs from dist/; from the package's dist/ when it runs as TypeScript from src/ (vitest) or from
 * another build (the benchmark's dist-bench/). Tests therefore need `npm run build` first.
 */
export function workerScriptPath(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, `${name}.js`);
  if (!fileURLToPath(import.meta.url).endsWith('.ts') && existsSync(beside)) return beside;
  const root = packageRoot(here);
  const file = root === undefined ? beside : resolve(root, 'dist/engine', `${name}.js`);
  if (!existsSync(file)) throw new Error(`worker script ${file} is missing; run npm run build`);
  return file;
}
