import { LRUCache } from 'lru-cache';
import type { CacheEntry, CacheTier } from './cache-tier.js';

/**
 * What one entry costs beyond its key's characters: the number, lru-cache's per-entry slots (map
 * entry, index lists, TTL start and size arrays) and V8 object headers. An estimate, measured
 * roughly with heap snapshots; it keeps --cache-max-bytes honest to within tens of percent.
 */
const ENTRY_OVERHEAD_BYTES = 120;

export interface MemoryTierOptions {
  maxBytes: number;
  ttlMs: number;
}

/** The process-local tier: least recently used pairs leave first once the byte budget is spent. */
export class MemoryTier implements CacheTier {
  readonly name = 'memory';
  private readonly lru: LRUCache<string, number>;

  constructor({ maxBytes, ttlMs }: MemoryTierOptions) {
    if (!(maxBytes > 0)) throw new RangeError(`a memory tier needs maxBytes > 0, got ${maxBytes}`);
    this.lru = new LRUCache<string, number>({
      maxSize: maxBytes,
      sizeCalculation: (_score, key) => ENTRY_OVERHEAD_BYTES + key.length,
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

  async getMany(keys: readonly string[]): Promise<(number | undefined)[]> {
    return keys.map((k) => this.lru.get(k));
  }

  setMany(entries: readonly CacheEntry[]): void {
    for (const [key, score] of entries) this.lru.set(key, score);
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
