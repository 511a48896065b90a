import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Bytes free on it now. */
  free(): number;
  /** Writes a file that leaves about `leaveBytes` free; returns its path. */
  fill(leaveBytes: number): string;
  unmount(): void;
}

/**
 * A real tmpfs of `megabytes` (a small disk that fills up), mounted on a fresh temp directory and
 * owned by `uid` (the Postgres server's, for a tablespace). Needs root (these machines and CI run as
 * root); elsewhere the answer is the reason, and the tests that need it skip with it.
 */
export function mountTmpfs(megabytes: number, uid = process.getuid?.() ?? 0, gid = uid): Tmpfs | string {
  const dir = mkdtempSync(join(tmpdir(), 'full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,mode=0700,uid=${uid},gid=${gid}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `the full-disk tests need to mount a tmpfs (run as root): ${(err as Error).message.split('\n')[0]}`;
  }
  const free = (): number => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    free,
    fill: (leaveBytes) => {
      const path = join(dir, `filler-${Date.now()}`);
      writeFileSync(path, Buffer.alloc(Math.max(0, free() - leaveBytes)));
      return path;
    },
    unmount: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
