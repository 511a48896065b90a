import type pg from 'pg';
import pgvector from 'pgvector/pg';
import { RerankerError, STORE_ERROR_CODES, StoreTimeoutError, type StoreErrorCode } from '../../errors.js';
import type { CallOptions, StoreLog } from '../document-store.js';
import { isConnectionError, toStoreError } from './store-errors.js';

export interface SqlRunnerOptions {
  /** Names the store in error messages (no credentials). */
  store: string;
  /** Default limit of one call, in milliseconds. */
  timeoutMs: number;
  /**
   * Cancels the statement running on backend `pid` (Postgres: pg_cancel_backend from a connection of
   * its own). Undefined for PGlite: pglite-socket ignores cancel requests and statement_timeout never
   * fires inside WebAssembly (both measured), so there the runner stops waiting, drops the connection
   * and answers StoreTimeoutError while PGlite finishes the statement; pglite-socket then discards
   * what that connection still had queued and rolls its transaction back.
   */
  cancel: ((pid: number) => Promise<void>) | undefined;
  log?: StoreLog | undefined;
  /** Told the code of every failed call's answer (INTERNAL for an error nothing classifies); metrics count them. */
  onError?: ((code: StoreErrorCode) => void) | undefined;
}

export interface RunOptions extends CallOptions {
  /** Milliseconds for this call; null for none (index builds). Default: the store's timeout. */
  timeoutMs?: number | null | undefined;
}

/** With a server-side statement_timeout, the runner's own timer waits this much longer, as a backstop. */
const SERVER_GRACE_MS = 1000;
/** After a cancel, a connection whose statement still has not ended is destroyed. */
const CANCEL_BACKSTOP_MS = 5000;

/** One checked-out connection, released exactly once; destroyed rather than reused once poisoned. */
class Lease {
  private released = false;
  poisoned = false;
  constructor(readonly client: pg.PoolClient) {}

  release(err?: unknown): void {
    if (this.released) return;
    this.released = true;
    const destroy = err !== undefined || this.poisoned;
    this.client.release(destroy ? (err instanceof Error ? err : new Error('store connection dropped')) : undefined);
  }
}

/** Rejects once the signal aborts or the time limit passes, whichever comes first. */
class Interrupt {
  fired = false;
  readonly promise: Promise<never>;
  private reject!: (err: unknown) => void;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly signal: AbortSignal | undefined,
    ms: number | undefined,
    timeoutError: () => Error,
  ) {
    this.promise = new Promise<never>((_, reject) => (this.reject = reject));
    this.promise.catch(() => undefined);
    this.onAbort = () => this.fire(abortReason(signal));
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.timer = ms === undefined ? undefined : setTimeout(() => this.fire(timeoutError()), ms);
    this.timer?.unref();
  }

  private fire(err: unknown): void {
    this.fired = true;
    this.reject(err);
  }

  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.promise]);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

function abortReason(signal: AbortSignal | undefined): unknown {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new StoreTimeoutError('The store call was aborted.');
}

/**
 * Runs store calls on a pg.Pool: each call is one transaction on one connection, bounded by the
 * store timeout and by the caller's AbortSignal, with errors mapped to the service's (503 when the
 * store is unreachable, 504 on a timeout). An interrupted call answers at once; its connection is
 * cleaned up in the background and never returned to the pool, so a late cancel cannot hit the
 * next user of the connection.
 */
export class SqlRunner {
  private vectorTypes = false;
  private readonly typed = new WeakSet<pg.PoolClient>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: SqlRunnerOptions,
  ) {}

  /** From now on every connection parses `vector` values into number[] (pgvector's registration). */
  enableVectorTypes(): void {
    this.vectorTypes = true;
  }

  async run<T>(work: (client: pg.PoolClient) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) throw abortReason(signal);
    const limit = options.timeoutMs === undefined ? this.opts.timeoutMs : options.timeoutMs;
    const serverSide = this.opts.cancel !== undefined;
    const interrupt = new Interrupt(
      signal,
      limit === null ? undefined : limit + (serverSide ? SERVER_GRACE_MS : 0),
      () =>
        new StoreTimeoutError(
          serverSide
            ? `A document store call ran past ${limit} ms and was cancelled.`
            : `A document store call ran past ${limit} ms; the embedded store cannot cancel a statement, so it finishes it in the background.`,
        ),
    );
    try {
      const connecting = this.pool.connect();
      let client: pg.PoolClient;
      try {
        client = await interrupt.race(connecting);
      } catch (err) {
        // A connection that arrives after the caller gave up goes straight back.
        if (interrupt.fired) connecting.then((c) => c.release(), () => undefined);
        throw err;
      }
      const lease = new Lease(client);
      const body = this.transaction(lease, work, limit);
      try {
        return await interrupt.race(body);
      } catch (err) {
        if (interrupt.fired) this.abandon(lease, body);
        throw err;
      }
    } catch (err) {
      const mapped = toStoreError(err, this.opts.store);
      this.count(mapped);
      throw mapped;
    } finally {
      interrupt.clear();
    }
  }

  private count(err: unknown): void {
    if (this.opts.onError === undefined) return;
    if (!(err instanceof RerankerError)) return this.opts.onError('INTERNAL');
    const code = STORE_ERROR_CODES.find((c) => c === err.code);
    if (code === undefined) return;
    // The driver's own words, for whoever frees the disk; an unreachable store is logged where it is noticed.
    if (code === 'STORE_FULL' || code === 'STORE_IO_ERROR' || code === 'STORE_READ_ONLY') this.opts.log?.warn({ err: err.cause instanceof Error ? err.cause.message : String(err.cause), code }, err.message);
    this.opts.onError(code);
  }

  private async transaction<T>(lease: Lease, work: (client: pg.PoolClient) => Promise<T>, limit: number | null): Promise<T> {
    const { client } = lease;
    try {
      // BEGIN first: pglite-socket keeps a connection's statements together only inside a
      // transaction; outside one, the Parse/Bind/Execute messages of two connections' parameterised
      // statements interleave on PGlite's single session (measured: 'portal "" does not exist').
      // So on either backend every statement of the store runs between BEGIN and COMMIT.
      await client.query('BEGIN');
      if (this.vectorTypes && !this.typed.has(client)) {
        await pgvector.registerTypes(client);
        this.typed.add(client);
      }
      // The pool sets statement_timeout to the default for every connection; other limits are per call.
      if (this.opts.cancel !== undefined && limit !== this.opts.timeoutMs) {
        await client.query(`SELECT set_config('statement_timeout', $1, true)`, [String(limit ?? 0)]);
      }
      const result = await work(client);
      await client.query('COMMIT');
      lease.release();
      return result;
    } catch (err) {
      if (isConnectionError(err)) lease.release(err);
      else {
        try {
          await client.query('ROLLBACK');
          lease.release();
        } catch (rollbackErr) {
          lease.release(rollbackErr);
        }
      }
      throw err;
    }
  }

  /** The caller has its answer (timeout or abort); stop the statement and retire the connection. */
  private abandon(lease: Lease, body: Promise<unknown>): void {
    lease.poisoned = true;
    body.catch(() => undefined);
    // The backend's pid from BackendKeyData; pg keeps it but its types do not declare it.
    const pid = (lease.client as unknown as { processID?: unknown }).processID;
    if (this.opts.cancel === undefined || typeof pid !== 'number') {
      lease.release(new Error('store call abandoned'));
      return;
    }
    this.opts.cancel(pid).catch((err: unknown) => this.opts.log?.warn({ err, pid }, 'cancelling a store query failed'));
    const backstop = setTimeout(() => lease.release(new Error('store query did not stop after a cancel')), CANCEL_BACKSTOP_MS);
    backstop.unref();
    body.finally(() => clearTimeout(backstop)).catch(() => undefined);
  }
}
