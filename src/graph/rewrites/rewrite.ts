import type { ModelProto } from '../onnx-proto.js';
import type { GraphPrecision } from '../precision.js';

/**
 * One graph rewrite. `stage` says which graph it reads: 'exported' runs on the file as exporters
 * write it (decomposed LayerNorm, MatMul + Add), before ONNX Runtime sees it; 'fused' runs on the
 * graph ONNX Runtime's extended-level optimizer writes (LayerNormalization, Gelu,
 * MatMulIntegerToFloat...), which `reranker optimize` produces first when such a rewrite is asked
 * for. Only rewrites that measured faster are on by default (see rewrites.ts for the figures).
 */
export interface GraphRewrite {
  name: string;
  summary: string;
  stage: 'exported' | 'fused';
  precisions: readonly GraphPrecision[];
  /** Modifies the model in place; says how many places changed, or why none did. */
  apply(model: ModelProto, precision: GraphPrecision, args?: string, source?: GraphSource): RewriteOutcome;
}

/** Where the graph came from: external data files are read relative to its folder. */
export interface GraphSource {
  dir?: string | undefined;
}

export interface RewriteOutcome {
  /** Places rewritten (layers, nodes); 0 leaves the model as it was. */
  applied: number;
  /** Why the pattern did not match, when applied is 0. */
  reason?: string;
}

export const unchanged = (reason: string): RewriteOutcome => ({ applied: 0, reason });
