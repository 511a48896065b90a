import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Path of the compiled worker entry. Worker threads load plain JavaScript only, so when this module
 * runs as TypeScript from src/ (vitest) the worker comes from the build output in dist/ instead;
 * tests therefore need `npm run build` first, and see dist/'s copy of the worker code.
 */
export function workerScriptPath(name: string): string {
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.ts') ? resolve(dirname(here), '../../dist/engine', `${name}.js`) : join(dirname(here), `${name}.js`);
  if (!existsSync(file)) throw new Error(`worker script ${file} is missing; run npm run build`);
  return file;
}
