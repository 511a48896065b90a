/** The models one service runs; metrics and logs label by role, so dashboards survive a model swap. */
export type ModelRole = 'reranker' | 'embedder';
