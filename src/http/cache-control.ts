import type { CachePolicy } from '../pipelines/cache-policy.js';

/**
 * HTTP's own words for skipping a cache: `no-cache` recomputes every pair (and refreshes the
 * cache with the fresh scores), `no-store` neither reads nor writes it.
 */
export function cachePolicy(header: string | string[] | undefined): CachePolicy {
  const directives = new Set(
    [header ?? []]
      .flat()
      .flatMap((h) => h.split(','))
      .map((d) => d.trim().toLowerCase()),
  );
  if (directives.has('no-store')) return { read: false, write: false };
  if (directives.has('no-cache')) return { read: false, write: true };
  return { read: true, write: true };
}
