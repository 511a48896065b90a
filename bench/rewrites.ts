import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runOptimizeCommand } from '../src/tools/optimize/command.js';
import { crossEncoder, embedder } from '../src/models/kinds/index.js';

export interface RewriteBenchOptions {
  modelDir: string;
  /** ONNX files inside the folder, one table each (fp32 and int8). */
  files: readonly string[];
  queries: number;
  rounds: number;
}

/**
 * Every graph rewrite `reranker optimize` knows, tried alone against the unrewritten file of each
 * precision on this machine (one thread, interleaved rounds): the table issue 14 asks for, from the
 * same code that the command runs. What it would keep is printed; what the service applies at load
 * is the list in src/tools/optimize/rewrites.ts.
 */
export async function runRewriteBench(o: RewriteBenchOptions): Promise<string[]> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'bench-rewrites-'));
  const lines = [
    '',
    '### Graph rewrites',
    '',
    `Each rewrite alone against the unrewritten graph, ${o.queries} queries x 100 documents, ${o.rounds} interleaved timing rounds, one ONNX Runtime thread (\`reranker optimize --rewrites all --measure\`). ` +
      `Speed-up is the unrewritten CPU time over the rewritten one; "kept" means within tolerance and at least 1.03x here. ` +
      `On by default at load for a cross-encoder: ${crossEncoder.rewrites.join(', ') || 'none'}; for an embedder: ${embedder.rewrites.join(', ') || 'none'}.`,
    '',
  ];
  try {
    for (const file of o.files) {
      let text = '';
      await runOptimizeCommand(
        { model: o.modelDir, onnxFile: file, out: path.join(scratch, path.basename(file)), rewrites: ['all'], check: true, measure: true, queries: o.queries, rounds: o.rounds, threads: 1 },
        (t) => void (text += t),
      );
      // The table and its two heading lines; the lines about the file it wrote are scratch.
      const table = text.split('\n').filter((l) => !/^(wrote |serve it with|no rewrite|[a-z0-9-]+: (applied|not applied))/.test(l));
      lines.push(...table.map((l) => l.replace(o.modelDir + path.sep, '')));
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return lines;
}
