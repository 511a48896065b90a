import type { Distance } from '../document-store.js';

/** Each distance's pgvector operator (smaller is nearer) and HNSW operator class. */
export const PGVECTOR_DISTANCES: Record<Distance, { operator: string; opclass: string }> = {
  cosine: { operator: '<=>', opclass: 'vector_cosine_ops' },
  l2: { operator: '<->', opclass: 'vector_l2_ops' },
  ip: { operator: '<#>', opclass: 'vector_ip_ops' },
};

/** Score from the pgvector distance expression: higher is better for every distance. */
export function scoreOf(distance: Distance, expr: string): string {
  if (distance === 'cosine') return `1 - ${expr}`;
  // <#> is the negative inner product; <-> the L2 distance, whose negative keeps higher-is-better.
  return `-${expr}`;
}
