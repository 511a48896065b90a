import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerScriptPath } from '../../engine/worker-script.js';
import { lockDataDir } from './data-dir-lock.js';
import type { StoreLog } from '../document-store.js';
import type { FromPgliteWorker, PgliteWorkerData } from './pglite-messages.js';

export interface PgliteServerOptions {
  /** The store's data directory; PGlite's files go to <dataDir>/pglite, the lock to <dataDir>/store.lock. */
  dataDir: string;
  maxConnections: number;
  log?: StoreLog | undefined;
  /** A first start runs initdb (~3.5 s here); recovery after a crash of a large store takes longer. */
  startTimeoutMs?: number;
}

/** PGlite in its worker, listening on 127.0.0.1:port. */
export interface PgliteServer {
  readonly host: string;
  readonly port: number;
  /** Stops the socket server and closes PGlite cleanly, then ends the thread and releases the directory. */
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 30_000;

function message(worker: Worker, timeoutMs: number, what: string): Promise<FromPgliteWorker> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    const onMessage = (msg: FromPgliteWorker): void => {
      done();
      resolve(msg);
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const onExit = (code: number): void => {
      done();
      reject(new Error(`the PGlite worker exited (code ${code}) before it ${what}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the PGlite worker has not ${what} after ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

export async function startPgliteServer(opts: PgliteServerOptions): Promise<PgliteServer> {
  const script = workerScriptPath('../store/pglite/pglite-worker');
  const release = await lockDataDir(opts.dataDir);
  const data: PgliteWorkerData = { dir: join(opts.dataDir, 'pglite'), maxConnections: opts.maxConnections };
  let worker: Worker | undefined;
  try {
    worker = new Worker(script, { workerData: data });
    const reply = await message(worker, opts.startTimeoutMs ?? 120_000, 'started');
    if (reply.type !== 'ready') throw new Error(`PGlite could not open ${data.dir}: ${reply.type === 'failed' ? reply.message : reply.type}`);
    return serve(worker, reply.port, release, opts.log);
  } catch (err) {
    await worker?.terminate();
    await release();
    throw err;
  }
}

function serve(worker: Worker, port: number, release: () => Promise<void>, log: StoreLog | undefined): PgliteServer {
  let running = true;
  let exited = false;
  // A worker that dies leaves the pool's connections refused: calls answer 503 until a restart.
  worker.on('error', (err) => log?.warn({ err }, 'the embedded store (PGlite worker) failed'));
  worker.on('exit', (code) => {
    exited = true;
    if (running) log?.warn({ code }, 'the embedded store (PGlite worker) exited');
  });
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    try {
      if (exited) return;
      const stopped = message(worker, STOP_TIMEOUT_MS, 'stopped');
      worker.postMessage({ type: 'stop' });
      const reply = await stopped;
      if (reply.type === 'failed') log?.warn({ error: reply.message }, 'closing the embedded store failed');
    } catch (err) {
      log?.warn({ err }, 'the embedded store did not stop cleanly');
    } finally {
      running = false;
      await worker.terminate();
      await release();
    }
  };
  return { host: '127.0.0.1', port, stop: () => (stopping ??= stop()) };
}
