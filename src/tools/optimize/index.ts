export { optimizeGraph, ortFusedGraph, type OptimizeResult } from './optimize-graph.js';
