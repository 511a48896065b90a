import type { Distance, VectorType } from '../document-store.js';

/** Each distance's pgvector operator (smaller is nearer) and HNSW operator class (for `vector`; see opclassOf). */
export const PGVECTOR_DISTANCES: Record<Distance, { operator: string; opclass: string }> = {
  cosine: { operator: '<=>', opclass: 'vector_cosine_ops' },
  l2: { operator: '<->', opclass: 'vector_l2_ops' },
  ip: { operator: '<#>', opclass: 'vector_ip_ops' },
};

/** The HNSW operator class of a distance over a vector type: pgvector names halfvec's `halfvec_cosine_ops` and so on. */
export function opclassOf(distance: Distance, type: VectorType): string {
  return PGVECTOR_DISTANCES[distance].opclass.replace(/^vector_/, `${type}_`);
}

/** Score from the pgvector distance expression: higher is better for every distance. */
export function scoreOf(distance: Distance, expr: string): string {
  if (distance === 'cosine') return `1 - ${expr}`;
  // <#> is the negative inner product; <-> the L2 distance, whose negative keeps higher-is-better.
  return `-${expr}`;
}
