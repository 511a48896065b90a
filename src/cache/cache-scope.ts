import type { CacheEntry, CacheTier, ValueCodec } from './cache-tier.js';

/**
 * One model's view of the cache: its identity (weights, tokenizer, settings; see
 * models/model-identity.ts) and the kind of value it stores. Built in one place, the service, so
 * every key a model reads or writes names exactly what produced the value.
 */
export class CacheScope<V> {
  constructor(
    readonly tier: CacheTier,
    readonly identity: string,
    readonly codec: ValueCodec<V>,
  ) {}

  get(keys: readonly string[]): Promise<(V | undefined)[]> {
    return this.tier.getMany(keys, this.codec);
  }

  set(entries: readonly CacheEntry<V>[]): void {
    this.tier.setMany(entries, this.codec);
  }
}
