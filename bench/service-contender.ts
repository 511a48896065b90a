import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { batchBudget } from '../src/models/kinds/encoder-budgets.js';
import { crossEncoder } from '../src/models/kinds/index.js';
import { planBatches } from '../src/engine/batch-plan.js';
import { batchFlops, type Architecture } from './flops.js';
import { sumSamples } from './prometheus-text.js';
import type { RunResult } from './stats.js';
import type { BenchWorkload } from './workload.js';

export interface ServiceUnderTest {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The service as operators run it: its own process (`node dist/cli.js serve`), so the benchmark's
 * HTTP client never shares an event loop with it. The pair-score cache is off: repeated warm-up
 * texts would otherwise be free and flatter the numbers.
 */
export async function startService(modelDir: string, onnxFile: string, extraArgs: string[] = [], embedder: { dir: string; onnxFile?: string } | undefined = undefined): Promise<ServiceUnderTest> {
  const embedding = embedder === undefined ? ['--embedding-model', 'none'] : ['--embedding-model', embedder.dir, ...(embedder.onnxFile === undefined ? [] : ['--embedding-onnx-file', embedder.onnxFile])];
  // The contenders are closed loops (at most `concurrency` requests outstanding), so the queue cannot
  // grow without bound; the default --max-queue-ms (15 s at the recent pace) refused the ninth
  // 100-document request on a slower CPU (AMD EPYC Zen 3, 2 cores), which a throughput run must not
  // measure. The overload section passes its own, later on the command line, which wins.
  const args = ['dist/cli.js', 'serve', '--model', modelDir, '--onnx-file', onnxFile, ...embedding, '--host', '127.0.0.1', '--port', '0', '--cache-max-bytes', '0', '--log-level', 'info', '--max-queue-ms', '120000', ...extraArgs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { url?: unknown };
        if (typeof entry.url === 'string') resolve(entry.url);
      } catch {
        // Not a pino line; ignore.
      }
    });
    child.once('exit', (code) => reject(new Error(`the service exited with ${code} before listening: ${stderr}`)));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${url}/health`).catch(() => undefined);
    if (res?.ok) break;
    if (child.exitCode !== null) throw new Error(`the service exited while loading: ${stderr}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error('the service did not become ready within 120 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, stop };
}

async function scrape(url: string): Promise<Map<string, number> | undefined> {
  const res = await fetch(`${url}/metrics`).catch(() => undefined);
  if (!res?.ok) return undefined;
  return sumSamples(await res.text());
}

async function rerank(url: string, q: { query: string; documents: string[] }): Promise<void> {
  const res = await fetch(`${url}/v2/rerank`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: q.query, documents: q.documents, top_n: q.documents.length }),
  });
  if (!res.ok) throw new Error(`POST /v2/rerank answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** Length-sorted batches of the service's defaults per request: exact at concurrency 1, an estimate when requests share batches. */
function plannedBatches(work: BenchWorkload, arch: Architecture, dtype: RunResult['dtype'], firstTokenHead: boolean): { computedTokens: number; flops: number } {
  let computedTokens = 0;
  let flops = 0;
  for (const q of work.queries) {
    for (const batch of planBatches(q.pairLengths, batchBudget(crossEncoder.budgets, dtype))) {
      const seqLen = Math.max(...batch.map((i) => q.pairLengths[i] as number));
      computedTokens += batch.length * seqLen;
      flops += batchFlops(arch, batch.length, seqLen, { firstTokenHead });
    }
  }
  return { computedTokens, flops };
}

/** `concurrency` clients, each sending its next query as soon as the last one answers. */
/** `firstTokenHead`: the service applied that graph rewrite, so its last layer's FLOPs are counted on one token per pair. */
export async function runService(service: ServiceUnderTest, work: BenchWorkload, concurrency: number, dtype: RunResult['dtype'], arch: Architecture, opts: { firstTokenHead?: boolean } = {}): Promise<RunResult> {
  const first = work.queries[0];
  if (first) await rerank(service.url, first);
  const before = await scrape(service.url);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < work.queries.length; i = next++) {
        const t0 = performance.now();
        await rerank(service.url, work.queries[i] as BenchWorkload['queries'][number]);
        latencies.push((performance.now() - t0) / 1000);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = await scrape(service.url);
  const planned = plannedBatches(work, arch, dtype, opts.firstTokenHead === true);
  const result: RunResult = {
    contender: `this service over HTTP, concurrency ${concurrency}`,
    dtype,
    pairs: work.pairs,
    seconds,
    latencies,
    realTokens: work.realTokens,
    computedTokens: planned.computedTokens,
    paddingNote: 'estimated from the default batch plan (no /metrics)',
    flops: planned.flops,
  };
  const delta = (name: string): number | undefined => {
    const a = after?.get(name);
    const b = before?.get(name);
    return a === undefined || b === undefined ? undefined : a - b;
  };
  const batchTokens = delta('reranker_batch_tokens_sum');
  const pairsScored = delta('reranker_pairs_scored_total');
  // Trust the service's own count only if it scored exactly this workload (no cache hits, no retries).
  if (batchTokens !== undefined && batchTokens > 0 && (pairsScored === undefined || pairsScored === work.pairs)) {
    result.computedTokens = batchTokens;
    result.paddingNote = 'from /metrics (reranker_batch_tokens_sum)';
    // FLOPs scale with computed tokens; the plan's attention share is close enough to keep.
    result.flops = planned.flops * (batchTokens / planned.computedTokens);
  } else if (after !== undefined) {
    result.paddingNote = `estimated from the default batch plan (/metrics has no usable reranker_batch_tokens_sum${pairsScored === undefined ? '' : `; pairs scored ${pairsScored}`})`;
  }
  return result;
}
