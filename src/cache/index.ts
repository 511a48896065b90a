import type { CacheSettings } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { CacheTier } from './cache-tier.js';
import { MemoryTier } from './memory-tier.js';
import type { Log } from '../log.js';
import { RedisTier } from './redis-tier.js';
import { TieredCache } from './tiered-cache.js';

export type { CacheEntry, CacheTier, ValueCodec } from './cache-tier.js';
export { pairKeys, textKeys, type PairKeySettings, type TextKeySettings } from './cache-key.js';
export { CacheScope } from './cache-scope.js';
export { scoreCodec, vectorCodec } from './codecs.js';
export { MemoryTier } from './memory-tier.js';
export { RedisTier } from './redis-tier.js';
export { TieredCache } from './tiered-cache.js';

/** The cache the settings ask for: memory, Redis, both, or none (undefined). */
export function createCache(settings: CacheSettings, deps: { metrics: Metrics; log: Log }): TieredCache | undefined {
  const tiers: CacheTier[] = [];
  if (settings.maxBytes > 0) {
    const memory = new MemoryTier({ maxBytes: settings.maxBytes, ttlMs: settings.ttlSeconds * 1000 });
    deps.metrics.cacheMemorySource = () => ({ bytes: memory.bytes, entries: memory.entries });
    tiers.push(memory);
  }
  if (settings.redisUrl !== undefined) {
    tiers.push(
      new RedisTier({
        url: settings.redisUrl,
        keyPrefix: settings.redisKeyPrefix,
        ttlSeconds: settings.ttlSeconds,
        timeoutMs: settings.redisTimeoutMs,
        metrics: deps.metrics,
        log: deps.log,
      }),
    );
  }
  return tiers.length === 0 ? undefined : new TieredCache(tiers, deps.metrics);
}
