/** Everything that crosses the main <-> PGlite worker boundary, in one place. */

/** The worker's `workerData`. */
export interface PgliteWorkerData {
  /** PGlite's own directory (PGDATA). */
  dir: string;
  /** Connections pglite-socket accepts at once; it accepts one unless told (STORES.md). */
  maxConnections: number;
}

export type FromPgliteWorker =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'stopped' };

export type ToPgliteWorker = { type: 'stop' };
