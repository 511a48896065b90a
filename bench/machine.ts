import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';

/** lscpu's model name and CPU count (os.cpus() where lscpu is missing), plus the runtimes. */
export function describeMachine(): string {
  let model = os.cpus()[0]?.model ?? 'unknown CPU';
  let cpus = String(os.cpus().length);
  try {
    const text = execFileSync('lscpu', { encoding: 'utf8' });
    model = /^Model name:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? model;
    cpus = /^CPU\(s\):\s*(\d+)$/m.exec(text)?.[1] ?? cpus;
  } catch {
    // Not Linux or no util-linux: os.cpus() is close enough.
  }
  const require = createRequire(import.meta.url);
  const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;
  return `${model}, ${cpus} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}, onnxruntime-node ${ortVersion}`;
}
