import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './free-port.js';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let child: ChildProcess | undefined;

/**
 * The cache tests talk to a real Redis: the one on 127.0.0.1:6379 when it runs (as on CI and the
 * team's machines), otherwise a private redis-server started here for the run, so `npm test` needs
 * no service set up by hand, only the redis-server binary.
 */
export async function setup(): Promise<void> {
  if (process.env['TEST_REDIS_URL'] !== undefined || (await reachable(6379))) return;
  const port = await freePort();
  child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  child.once('error', (err) => process.stderr.write(`cannot start redis-server for the cache tests: ${err.message}\n`));
  for (let i = 0; i < 100 && !(await reachable(port)); i++) await new Promise((r) => setTimeout(r, 50));
  process.env['TEST_REDIS_URL'] = `redis://127.0.0.1:${port}`;
}

export async function teardown(): Promise<void> {
  child?.kill('SIGTERM');
}
