import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hasExternalData } from './external-data.js';
import { decodeModel, encodeModel, type ModelProto } from './onnx-proto.js';
import { applyExportedRewrites } from './rewrites/apply.js';
import type { GraphPrecision } from './precision.js';

/** Bumped whenever a load-time rewrite changes what it writes, so older cached copies are not reused. */
const REWRITE_VERSION = 1;

/** What the service does with a model file at load: its precision, the rewrites that apply, and why others do not. */
export interface GraphPlan {
  precision: GraphPrecision;
  /** Rewrites that matched this graph. */
  rewrites: string[];
  /** One line per asked-for rewrite that did not match, for the log. */
  notes: string[];
  /** The rewritten copy, when rewrites applied and `cacheDir` was given. */
  rewrittenPath?: string | undefined;
  /**
   * The model's folder when its weights are in external data files: ONNX Runtime then loads the
   * rewritten graph from bytes with this folder as where the data lives (a copy elsewhere cannot
   * name the original files).
   */
  externalDataDir?: string | undefined;
  /** Rows of the token embedding table (the initializer a Gather reads with input_ids); undefined when the graph does not show it plainly. */
  tokenRows: number | undefined;
}

/** The token embedding's rows: what token ids the graph can take (ids past it fail inside ONNX Runtime, on every batch they are in). */
export function tokenEmbeddingRows(model: ModelProto): number | undefined {
  const graph = model.graph;
  if (graph === undefined || graph === null) return undefined;
  const tables = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Gather' || node.input?.[1] !== 'input_ids') continue;
    const rows = tables.get(node.input[0] ?? '')?.dims?.[0];
    if (rows !== undefined && rows !== null) return Number(rows);
  }
  return undefined;
}

/**
 * Reads and plans a model file once, in the main thread: decoding is lazy over the file's bytes
 * (~10 ms for 90 MB) and the rewrites walk the node list only. With `cacheDir`, the rewritten copy
 * is written there once per file version, so workers load it by path: rewriting in every worker
 * left each holding its read and encoded buffers (measured +67 MB per worker fp32, +150 MB int8,
 * for MiniLM-L6) until a garbage collection an idle worker never runs.
 */
export function planGraph(onnxPath: string, rewrites: readonly string[], cacheDir?: string): GraphPlan {
  const model = decodeModel(readFileSync(onnxPath));
  // Read before the rewrites, which leave the embedding as it is but need not keep it findable.
  const tokenRows = tokenEmbeddingRows(model);
  const dir = path.dirname(path.resolve(onnxPath));
  const { precision, results } = applyExportedRewrites(model, rewrites, { dir });
  const applied = results.filter((r) => r.applied > 0).map((r) => r.name);
  // A file `reranker optimize` wrote already has its rewrites: nothing to say about those.
  const missed = results.filter((r) => r.applied === 0 && !r.reason?.startsWith('already applied'));
  const plan: GraphPlan = { precision, rewrites: applied, notes: missed.map((r) => `${r.name}: ${r.reason ?? 'did not match'}`), tokenRows };
  if (hasExternalData(model)) plan.externalDataDir = dir;
  if (applied.length === 0 || cacheDir === undefined) return plan;
  const { mtimeMs, size } = statSync(onnxPath);
  const key = createHash('sha256').update(JSON.stringify([path.resolve(onnxPath), mtimeMs, size, applied, REWRITE_VERSION])).digest('hex').slice(0, 24);
  const target = path.join(cacheDir, `${path.basename(onnxPath, '.onnx')}.${key}.onnx`);
  try {
    if (!existsSync(target)) {
      mkdirSync(cacheDir, { recursive: true });
      const partial = `${target}.${process.pid}.partial`;
      writeFileSync(partial, encodeModel(model));
      renameSync(partial, target);
    }
    plan.rewrittenPath = target;
  } catch {
    // No writable cache (a read-only container): each worker rewrites in memory instead.
  }
  return plan;
}

/** The file with `rewrites` applied, as bytes for ONNX Runtime: the fallback when no rewritten copy is on disk. */
export function rewrittenGraph(onnxPath: string, rewrites: readonly string[]): Uint8Array {
  const model = decodeModel(readFileSync(onnxPath));
  const { results } = applyExportedRewrites(model, rewrites, { dir: path.dirname(path.resolve(onnxPath)) });
  const missed = results.find((r) => r.applied === 0);
  if (missed !== undefined) throw new Error(`graph rewrite ${missed.name} no longer matches ${onnxPath}: ${missed.reason ?? ''}`);
  return encodeModel(model);
}
