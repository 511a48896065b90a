import { LRUCache } from 'lru-cache';
import type { CacheEntry, CacheTier, ValueCodec } from './cache-tier.js';

/**
 * What one entry costs beyond its key's characters and its value: lru-cache's per-entry slots (map
 * entry, index lists, TTL start and size arrays) and V8 object headers. An estimate, measured
 * roughly with heap snapshots; it keeps --cache-max-bytes honest to within tens of percent.
 */
const ENTRY_OVERHEAD_BYTES = 112;

export interface MemoryTierOptions {
  maxBytes: number;
  ttlMs: number;
}

/**
 * The process-local tier: least recently used entries leave first once the byte budget is spent.
 * Values are kept decoded (a number, a Float32Array); the codec only sizes them.
 */
export class MemoryTier implements CacheTier {
  readonly name = 'memory';
  private readonly lru: LRUCache<string, { value: unknown }>;

  constructor({ maxBytes, ttlMs }: MemoryTierOptions) {
    if (!(maxBytes > 0)) throw new RangeError(`a memory tier needs maxBytes > 0, got ${maxBytes}`);
    this.lru = new LRUCache<string, { value: unknown }>({
      maxSize: maxBytes,
      ttl: ttlMs,
      // Expired entries are dropped when touched or evicted; a purge timer per entry would cost more.
      ttlAutopurge: false,
    });
  }

  /** Bytes currently accounted for, by the same estimate that bounds the tier. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get entries(): number {
    return this.lru.size;
  }

  async getMany<V>(keys: readonly string[], _codec?: ValueCodec<V>): Promise<(V | undefined)[]> {
    return keys.map((k) => this.lru.get(k)?.value as V | undefined);
  }

  setMany<V>(entries: readonly CacheEntry<V>[], codec: ValueCodec<V>): void {
    for (const [key, value] of entries) this.lru.set(key, { value }, { size: ENTRY_OVERHEAD_BYTES + key.length + codec.bytes(value) });
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
