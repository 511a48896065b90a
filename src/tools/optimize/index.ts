export { planGraph, rewrittenGraph, type GraphPlan } from './load-graph.js';
export { applyExportedRewrites, optimizeGraph, ortFusedGraph, type OptimizeResult, type RewriteResult } from './optimize-graph.js';
export { graphPrecision, INT8_OPS, type GraphPrecision } from './precision.js';
export { DEFAULT_REWRITES, defaultRewrites, REWRITES, rewriteNamed } from './rewrites.js';
export type { GraphRewrite, RewriteOutcome } from './rewrite.js';
