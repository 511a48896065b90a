import { mkdir, open, readFile, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';

/** Directories this process holds open (a second store on the same one would corrupt it as surely as a second process). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the embedded store's data directory for this process. PGlite writes a postmaster.pid but
 * never checks it (measured: a second process opened a directory the first was writing to), and two
 * PGlite instances on one directory corrupt it, so the store keeps its own lock file holding the
 * owner's pid. A lock whose process is gone (a kill -9, a container restart reusing our pid) is
 * stale and taken over. Returns the release function.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const key = await realpath(dir);
  if (held.has(key)) throw new ConfigError(`The data directory ${dir} is already open in this process.`);
  const file = join(key, 'store.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      held.add(key);
      return async () => {
        held.delete(key);
        await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new ConfigError(`The data directory ${dir} is in use by process ${pid} (${file}); stop that process or choose another --data-dir.`);
      }
      await rm(file, { force: true });
    }
  }
  throw new ConfigError(`Could not take the lock ${file}.`);
}
