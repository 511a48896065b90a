import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { decodeModel, encodeModel, type ModelProto } from '../../graph/onnx-proto.js';
import type { GraphPrecision } from '../../graph/precision.js';
import { applyExportedRewrites, runRewrite, type RewriteResult } from '../../graph/rewrites/apply.js';
import { rewriteNamed } from '../../graph/rewrites/index.js';

export { applyExportedRewrites, type RewriteResult };

export interface OptimizeResult {
  model: ModelProto;
  precision: GraphPrecision;
  results: RewriteResult[];
  /** The graph went through ONNX Runtime's extended-level optimizer first (a fused-stage rewrite asked for it). */
  fusedByOrt: boolean;
}

/**
 * ONNX Runtime's own extended-level optimization (LayerNorm, GELU and quantized-GEMM fusions),
 * written out the way its offline-optimization workflow does; the fused-stage rewrites read it.
 */
export async function ortFusedGraph(model: ModelProto): Promise<ModelProto> {
  const dir = await mkdtemp(path.join(tmpdir(), 'reranker-optimize-'));
  const out = path.join(dir, 'fused.onnx');
  try {
    const session = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'extended', optimizedModelFilePath: out, intraOpNumThreads: 1 });
    await session.release();
    return decodeModel(await readFile(out));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Exported-stage rewrites, then (when any is asked for) ONNX Runtime's fusions and the fused-stage ones. */
export async function optimizeGraph(model: ModelProto, names: readonly string[]): Promise<OptimizeResult> {
  const { precision, results } = applyExportedRewrites(model, names);
  const fused = names.filter((n) => rewriteNamed(n).stage === 'fused');
  if (fused.length === 0) return { model, precision, results, fusedByOrt: false };
  const ortModel = await ortFusedGraph(model);
  for (const n of fused) results.push(runRewrite(ortModel, n, precision));
  return { model: ortModel, precision, results, fusedByOrt: true };
}
