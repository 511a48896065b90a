import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch copy of a folder, for tests that edit files in it. */
export function copyOf(dir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'folder-copy-'));
  cpSync(dir, copy, { recursive: true });
  return copy;
}
