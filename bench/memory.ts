import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateWorkload, wordsFromTokenizerJson } from '../src/tools/quantize/synthetic-workload.js';
import { startService } from './service-contender.js';

/**
 * Issue 23: where the served process's memory goes. The same service started in steps (one worker,
 * two, an embedder, the embedded store) and driven by the same requests; each step's RSS after its
 * traffic, so the differences name the parts: a worker's sessions, ONNX Runtime's arena growing with
 * the largest batch it has run, the embedder, PGlite.
 */

export interface MemoryStep {
  label: string;
  rssMb: number;
  /** The step this one differs from by one part. */
  versus: number | undefined;
}

function rssMb(pid: number | undefined): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid ?? 0}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

async function post(url: string, route: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${route} answered ${res.status}: ${text.slice(0, 200)}`);
}

export async function runMemoryBench(o: { rerankerDir: string; embedderDir: string; log: (msg: string) => void }): Promise<MemoryStep[]> {
  const words = wordsFromTokenizerJson(JSON.parse(readFileSync(path.join(o.rerankerDir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>);
  // Short requests make small batches; long ones at concurrency 8 fill batches to the token budget.
  const small = generateWorkload(words, { queries: 10, docsPerQuery: 10, seed: 3, medianDocWords: 20, maxDocWords: 40 });
  const large = generateWorkload(words, { queries: 16, docsPerQuery: 100, seed: 4, medianDocWords: 300, maxDocWords: 400 });
  const steps: MemoryStep[] = [];
  const base = ['--cache-max-bytes', '0'];
  const measure = async (label: string, versus: number | undefined, args: string[], embedder: boolean, traffic: (url: string) => Promise<void>): Promise<void> => {
    const service = await startService(o.rerankerDir, 'onnx/model.onnx', [...base, ...args], embedder ? { dir: o.embedderDir } : undefined);
    try {
      await traffic(service.url);
      // Let the allocator settle and the collector run at least once after the traffic.
      await new Promise((r) => setTimeout(r, 3000));
      steps.push({ label, rssMb: rssMb(service.child.pid), versus });
      o.log(`memory: ${label}: ${steps.at(-1)?.rssMb.toFixed(0)} MB`);
    } finally {
      await service.stop();
    }
  };
  const smallTraffic = async (url: string): Promise<void> => {
    for (const q of small) await post(url, '/v2/rerank', { query: q.query, documents: q.documents });
  };
  const largeTraffic = async (url: string): Promise<void> => {
    await smallTraffic(url);
    await Promise.all(Array.from({ length: 8 }, async (_, c) => {
      for (let i = c; i < large.length; i += 8) await post(url, '/v2/rerank', { query: large[i]?.query, documents: large[i]?.documents });
    }));
  };
  await measure('1 worker, reranker only, after small batches', undefined, ['--workers', '1', '--store', 'none'], false, smallTraffic);
  await measure('2 workers, reranker only, after small batches', 0, ['--workers', '2', '--store', 'none'], false, smallTraffic);
  await measure('2 workers, reranker only, after batches filled to the token budget', 1, ['--workers', '2', '--store', 'none'], false, largeTraffic);
  await measure('2 workers, reranker and embedder, after small batches', 1, ['--workers', '2', '--store', 'none'], true, smallTraffic);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bench-memory-'));
  try {
    await measure('2 workers, reranker, embedder and the embedded store (PGlite) with 2,000 documents', 3, ['--workers', '2', '--data-dir', dataDir], true, async (url) => {
      await smallTraffic(url);
      await fetch(`${url}/collections/mem`, { method: 'PUT' });
      const texts = small.flatMap((q) => q.documents);
      for (let i = 0; i < 2000; i += 100) await post(url, '/collections/mem/documents', { documents: Array.from({ length: 100 }, (_, j) => ({ id: `d${i + j}`, text: `${texts[(i + j) % texts.length]} ${i + j}` })) });
      for (const q of small) await post(url, '/search', { collection: 'mem', query: q.query, candidates: 20, top_n: 5 });
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return steps;
}

export function renderMemory(steps: MemoryStep[]): string[] {
  const lines = ['| step | RSS MB | the one part it adds |', '|---|---|---|'];
  steps.forEach((s, i) => {
    const prev = s.versus === undefined ? undefined : steps[s.versus];
    const delta = prev === undefined ? '-' : `${s.rssMb - prev.rssMb >= 0 ? '+' : ''}${(s.rssMb - prev.rssMb).toFixed(0)} MB against step ${(s.versus ?? 0) + 1}`;
    lines.push(`| ${i + 1}. ${s.label} | ${s.rssMb.toFixed(0)} | ${delta} |`);
  });
  return lines;
}
