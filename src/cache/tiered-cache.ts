import type { Metrics } from '../metrics.js';
import type { CacheEntry, CacheTier, ValueCodec } from './cache-tier.js';

/**
 * Tiers in order of cost (memory, then Redis): each asked only for what the ones before it
 * missed; a hit in a later tier is copied into the earlier ones, and writes go to all of them.
 * Lookups are counted here, per tier and kind, because only the composition knows which tier answered.
 */
export class TieredCache implements CacheTier {
  readonly name: string;

  constructor(
    private readonly tiers: readonly CacheTier[],
    private readonly metrics: Metrics,
  ) {
    if (tiers.length === 0) throw new RangeError('a tiered cache needs at least one tier');
    this.name = tiers.map((t) => t.name).join('+');
  }

  async getMany<V>(keys: readonly string[], codec: ValueCodec<V>): Promise<(V | undefined)[]> {
    const found = new Array<V | undefined>(keys.length).fill(undefined);
    let pending = keys.map((_, i) => i);
    for (const [level, tier] of this.tiers.entries()) {
      if (pending.length === 0) break;
      const values = await tier.getMany(
        pending.map((i) => keys[i] as string),
        codec,
      );
      const missing: number[] = [];
      const hits: CacheEntry<V>[] = [];
      values.forEach((value, j) => {
        const i = pending[j] as number;
        if (value === undefined) missing.push(i);
        else {
          found[i] = value;
          hits.push([keys[i] as string, value]);
        }
      });
      this.metrics.cacheLookups.inc({ tier: tier.name, result: 'hit', kind: codec.kind }, hits.length);
      this.metrics.cacheLookups.inc({ tier: tier.name, result: 'miss', kind: codec.kind }, missing.length);
      if (hits.length > 0) for (const earlier of this.tiers.slice(0, level)) earlier.setMany(hits, codec);
      pending = missing;
    }
    return found;
  }

  setMany<V>(entries: readonly CacheEntry<V>[], codec: ValueCodec<V>): void {
    for (const tier of this.tiers) tier.setMany(entries, codec);
  }

  async close(): Promise<void> {
    await Promise.all(this.tiers.map((t) => t.close()));
  }
}
