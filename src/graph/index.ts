export { planGraph, rewrittenGraph, type GraphPlan } from './plan-graph.js';
export { applyExportedRewrites, runRewrite, type RewriteResult } from './rewrites/apply.js';
export { graphPrecision, INT8_OPS, type GraphPrecision } from './precision.js';
export { REWRITES, rewriteNamed } from './rewrites/index.js';
export type { GraphRewrite, RewriteOutcome } from './rewrites/rewrite.js';
export { quantizeDynamicInt8, type QuantizeOptions, type QuantizeReport, type QuantizedMatMul, type SkippedMatMul } from './quantize/dynamic-int8.js';
export { quantizeOnnxFile, type QuantizeFileResult } from './quantize/quantize-file.js';
export { quantizeSymmetricInt8 } from './quantize/weight-int8.js';
