/** One cached pair score: the key from cache-key.ts and the raw score (logit) the model gave. */
export type CacheEntry = readonly [key: string, score: number];

/**
 * The contract every pair-score cache tier keeps (memory, Redis, and their composition).
 *
 * - `getMany` answers one score or `undefined` per key, in key order. It never throws: a tier that
 *   is slow, down or broken answers misses, so a cache can only cost time, never a request.
 * - `setMany` is fire-and-forget: a tier may drop entries (full, unreachable) without telling.
 * - Entries expire after the tier's TTL; a tier may evict earlier under memory pressure.
 * - `close` releases timers and connections; the tier is unusable after it.
 */
export interface CacheTier {
  /** The `tier` label on cache metrics. */
  readonly name: string;
  getMany(keys: readonly string[]): Promise<(number | undefined)[]>;
  setMany(entries: readonly CacheEntry[]): void;
  close(): Promise<void>;
}
