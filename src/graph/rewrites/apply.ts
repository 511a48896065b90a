import type { ModelProto } from '../onnx-proto.js';
import { graphPrecision, type GraphPrecision } from '../precision.js';
import { rewriteNamed } from './index.js';
import type { GraphSource } from './rewrite.js';

export interface RewriteResult {
  name: string;
  /** Places rewritten; 0 when the pattern did not match. */
  applied: number;
  reason?: string | undefined;
}

export function runRewrite(model: ModelProto, name: string, precision: GraphPrecision, source: GraphSource = {}): RewriteResult {
  const rewrite = rewriteNamed(name);
  if (!rewrite.precisions.includes(precision)) return { name, applied: 0, reason: `only for ${rewrite.precisions.join(' and ')} graphs; this one is ${precision}` };
  const colon = name.indexOf(':');
  const outcome = rewrite.apply(model, precision, colon < 0 ? undefined : name.slice(colon + 1), source);
  return { name, applied: outcome.applied, reason: outcome.reason };
}

/**
 * The rewrites that read the exported graph, in place and without ONNX Runtime: what the service
 * applies at load. Returns what each did, or why it did not.
 */
export function applyExportedRewrites(model: ModelProto, names: readonly string[], source: GraphSource = {}): { precision: GraphPrecision; results: RewriteResult[] } {
  const precision = graphPrecision(model);
  const results = names.filter((n) => rewriteNamed(n).stage === 'exported').map((n) => runRewrite(model, n, precision, source));
  return { precision, results };
}
