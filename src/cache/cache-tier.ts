/**
 * How one kind of cached value is stored: raw scores (one number per pair) or embeddings (float32
 * vectors). Bytes are what Redis holds; `decode` is the gate every value read back passes, so a
 * corrupted or foreign value becomes a miss, never a score.
 */
export interface ValueCodec<V> {
  readonly kind: 'score' | 'vector';
  encode(value: V): Buffer;
  /** undefined when the bytes are not a valid value of this kind. */
  decode(bytes: Buffer): V | undefined;
  /** What a value costs in memory, for the memory tier's byte budget. */
  bytes(value: V): number;
}

export type CacheEntry<V> = readonly [key: string, value: V];

/**
 * The contract every cache tier keeps (memory, Redis, and their composition).
 *
 * - `getMany` answers one value or `undefined` per key, in key order. It never throws: a tier that
 *   is slow, down or broken answers misses, so a cache can only cost time, never a request.
 * - `setMany` is fire-and-forget: a tier may drop entries (full, unreachable) without telling.
 * - Entries expire after the tier's TTL; a tier may evict earlier under memory pressure.
 * - Keys of different kinds never collide (each model's scope hashes its own identity into them).
 * - `close` releases timers and connections; the tier is unusable after it.
 */
export interface CacheTier {
  /** The `tier` label on cache metrics. */
  readonly name: string;
  getMany<V>(keys: readonly string[], codec: ValueCodec<V>): Promise<(V | undefined)[]>;
  setMany<V>(entries: readonly CacheEntry<V>[], codec: ValueCodec<V>): void;
  close(): Promise<void>;
}
