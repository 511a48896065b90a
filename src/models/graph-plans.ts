import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { planGraph, type GraphPlan } from '../graph/index.js';
import type { Log } from '../log.js';

/**
 * The model file's precision and the rewrites that match it, once per file and process; a rewrite
 * that does not match is said once (the file is then served as it is).
 */
const plans = new Map<string, GraphPlan>();

export function graphPlan(onnxPath: string, rewrites: readonly string[], log?: Log): GraphPlan {
  const { mtimeMs, size } = statSync(onnxPath);
  const key = `${onnxPath}\0${mtimeMs}\0${size}\0${rewrites.join()}`;
  let plan = plans.get(key);
  if (plan === undefined) {
    plan = planGraph(onnxPath, rewrites, path.join(tmpdir(), 'reranker-graphs'));
    plans.set(key, plan);
    for (const note of plan.notes) {
      if (log === undefined) process.emitWarning(`${onnxPath}: served without graph rewrite ${note}`, { type: 'GraphRewriteNotice', code: 'GRAPH_REWRITE_SKIPPED' });
      else log.info({ file: onnxPath, reason: note }, 'graph rewrite skipped: the file is served as it is');
    }
  }
  return plan;
}
