import { Redis } from 'ioredis';
import type { CacheErrorReason, Metrics } from '../metrics.js';
import type { CacheEntry, CacheTier, ValueCodec } from './cache-tier.js';

import type { Log } from '../log.js';

export interface RedisTierOptions {
  url: string;
  keyPrefix: string;
  ttlSeconds: number;
  /** Longest a lookup (and a write batch) may take; past it the lookup counts as a miss. */
  timeoutMs: number;
  metrics: Metrics;
  log: Log;
  /** Write batches in flight before new ones are dropped; a slow Redis must not pile them up. */
  maxPendingWrites?: number;
}

type Failure = CacheErrorReason;

/**
 * The tier shared by replicas. One MGET per lookup and one pipelined batch of `SET .. EX` per
 * write, never a round trip per pair. Values are the codec's bytes; whatever comes back is data,
 * not trust: a value the codec rejects (wrong length, NaN, another kind) is a miss, and counted. Redis being slow or gone costs at most timeoutMs per request:
 * commands fail fast instead of queueing while disconnected, ioredis reconnects in the background,
 * and the outage is logged once when it starts and once when it ends.
 */
export class RedisTier implements CacheTier {
  readonly name = 'redis';
  private readonly client: Redis;
  private readonly maxPendingWrites: number;
  private pendingWrites = 0;
  private down = false;
  private everReady = false;

  constructor(private readonly opts: RedisTierOptions) {
    this.maxPendingWrites = opts.maxPendingWrites ?? 32;
    this.client = new Redis(opts.url, {
      // Without these, commands sent while disconnected wait in an unbounded queue and a request
      // would hang until Redis returns; failing at once turns them into misses.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.timeoutMs,
      connectTimeout: Math.max(1000, opts.timeoutMs),
      // Keep trying forever, but no faster than every 100 ms to 2 s: a returning Redis is found quickly.
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    });
    this.client.on('error', (err: Error) => this.markDown(err));
    this.client.on('ready', () => {
      this.everReady = true;
      this.markUp();
    });
  }

  /** Resolves once connected (or rejects after timeoutMs); start-up and tests use it, requests never wait. */
  async connected(timeoutMs = 2000): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new Error(`Redis at ${redactUrl(this.opts.url)} not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }

  async getMany<V>(keys: readonly string[], codec: ValueCodec<V>): Promise<(V | undefined)[]> {
    const misses = (): undefined[] => new Array<undefined>(keys.length).fill(undefined);
    if (keys.length === 0) return [];
    if (this.client.status !== 'ready') {
      this.fail('unavailable');
      return misses();
    }
    try {
      const values = await this.client.mgetBuffer(keys.map((k) => this.opts.keyPrefix + k));
      // A timeout leaves the connection 'ready', so no 'ready' event would end that outage.
      this.markUp();
      let invalid = 0;
      const decoded = values.map((v) => {
        if (v === null) return undefined;
        const value = codec.decode(v);
        if (value === undefined) invalid++;
        return value;
      });
      if (invalid > 0) this.opts.metrics.cacheErrors.inc({ tier: this.name, reason: 'invalid_value' }, invalid);
      return decoded;
    } catch (err) {
      this.fail(/timed out/i.test((err as Error).message) ? 'timeout' : 'error', err as Error);
      return misses();
    }
  }

  setMany<V>(entries: readonly CacheEntry<V>[], codec: ValueCodec<V>): void {
    // While disconnected the lookup has already counted the outage; writes are simply skipped.
    if (entries.length === 0 || this.client.status !== 'ready') return;
    if (this.pendingWrites >= this.maxPendingWrites) {
      this.fail('write_dropped');
      return;
    }
    const batch = this.client.pipeline();
    for (const [key, value] of entries) batch.set(this.opts.keyPrefix + key, codec.encode(value), 'EX', this.opts.ttlSeconds);
    this.pendingWrites += 1;
    batch
      .exec()
      .then((results) => {
        const failed = results?.find(([err]) => err !== null);
        if (failed !== undefined) this.fail('write', failed[0] as Error);
      })
      .catch((err: unknown) => this.fail('write', err as Error))
      .finally(() => {
        this.pendingWrites -= 1;
      });
  }

  async close(): Promise<void> {
    this.client.removeAllListeners('error');
    this.client.on('error', () => undefined);
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }

  private fail(reason: Failure, err?: Error): void {
    this.opts.metrics.cacheErrors.inc({ tier: this.name, reason });
    // Lookups racing the first connect are misses, not an outage; a refused connect logs via 'error'.
    if (reason === 'write_dropped' || (reason === 'unavailable' && !this.everReady)) return;
    this.markDown(err, reason);
  }

  private markDown(err: Error | undefined, reason: Failure | 'connection' = 'connection'): void {
    if (this.down) return;
    this.down = true;
    this.opts.log.warn(
      { tier: this.name, reason, err: err?.message, url: redactUrl(this.opts.url) },
      'Redis cache tier unavailable; answering from the memory tier and the engine until it returns',
    );
  }

  private markUp(): void {
    if (!this.down) return;
    this.down = false;
    this.opts.log.info({ tier: this.name, url: redactUrl(this.opts.url) }, 'Redis cache tier is back');
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
}
