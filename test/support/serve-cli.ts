import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface ServedCli {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/** `reranker serve ARGS` as an operator runs it, on a free loopback port, once /health answers 200. */
export async function serveCli(args: string[], env: Record<string, string> = {}): Promise<ServedCli> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', ...args, '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if ((await fetch(`${url}/health`).catch(() => undefined))?.status === 200) break;
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
