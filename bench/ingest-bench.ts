import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, type ServiceUnderTest } from './service-contender.js';

/**
 * `reranker ingest` into the real Postgres (issue 22, item 5): one replica at concurrency 1, one at
 * concurrency 4, and two replicas sharing the database at concurrency 4; documents/s of each, for
 * documents with ready 384-d vectors (no embedding: the database's side) and for texts the service
 * embeds (the embedding model's side). Each run writes a fresh collection.
 */
export interface IngestRun {
  label: string;
  replicas: number;
  concurrency: number;
  ready: { documents: number; seconds: number };
  embedded: { documents: number; seconds: number };
}

const SCHEMA = 'bench_ingest';

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['dist/cli.js', 'ingest', ...args, '--no-progress'], { maxBuffer: 1 << 24 }, (err, _stdout, stderr) => (err === null ? resolve() : reject(new Error(`ingest failed: ${stderr}`))));
  });
}

export async function runIngestBench(o: { url: string; rerankerDir: string; embedderDir: string; readyDocuments: number; textDocuments: number; log: (m: string) => void }): Promise<IngestRun[]> {
  const work = await mkdtemp(path.join(tmpdir(), 'ingest-bench-'));
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const words = 'river bank bridge tower market stone light night water city trade boat'.split(' ');
  const text = (n: number): string => Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ');
  const ready = path.join(work, 'ready.jsonl');
  const texts = path.join(work, 'texts.jsonl');
  await writeFile(ready, Array.from({ length: o.readyDocuments }, (_, i) => JSON.stringify({ id: `r${i}`, text: text(40), vec: Array.from({ length: 384 }, () => rand() - 0.5) })).join('\n'));
  await writeFile(texts, Array.from({ length: o.textDocuments }, (_, i) => JSON.stringify({ id: `t${i}`, text: text(60) })).join('\n'));
  const replicas: ServiceUnderTest[] = [];
  try {
    for (let i = 0; i < 2; i++) replicas.push(await startService(o.rerankerDir, 'onnx/model.onnx', ['--store', o.url, '--store-schema', SCHEMA, '--workers', '1'], { dir: o.embedderDir }));
    const [a, b] = replicas as [ServiceUnderTest, ServiceUnderTest];
    const runs: IngestRun[] = [];
    const shapes = [
      { label: 'one replica, --concurrency 1', urls: [a.url], concurrency: 1 },
      { label: 'one replica, --concurrency 4', urls: [a.url], concurrency: 4 },
      { label: 'two replicas, --concurrency 4', urls: [a.url, b.url], concurrency: 4 },
    ];
    for (const [n, shape] of shapes.entries()) {
      const timed = async (file: string, collection: string, extra: string[], dims: number): Promise<{ documents: number; seconds: number }> => {
        const put = await fetch(`${a.url}/collections/${collection}`, { method: 'DELETE' });
        await put.arrayBuffer();
        const created = await fetch(`${a.url}/collections/${collection}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(dims > 0 ? { dimensions: dims } : {}) });
        if (!created.ok) throw new Error(`PUT /collections/${collection}: ${created.status} ${await created.text()}`);
        o.log(`ingest: ${shape.label}, ${path.basename(file)}`);
        const started = performance.now();
        await run([file, '--collection', collection, '--url', shape.urls.join(','), '--concurrency', String(shape.concurrency), '--batch', '256', ...extra]);
        return { documents: file === ready ? o.readyDocuments : o.textDocuments, seconds: (performance.now() - started) / 1000 };
      };
      const r = await timed(ready, `ready-${n}`, ['--vector-field', 'vec'], 384);
      const e = await timed(texts, `text-${n}`, [], 0);
      runs.push({ label: shape.label, replicas: shape.urls.length, concurrency: shape.concurrency, ready: r, embedded: e });
    }
    for (const n of shapes.keys()) for (const c of [`ready-${n}`, `text-${n}`]) await (await fetch(`${a.url}/collections/${c}`, { method: 'DELETE' })).arrayBuffer();
    return runs;
  } finally {
    for (const r of replicas) await r.stop();
    await rm(work, { recursive: true, force: true });
  }
}

export function renderIngest(runs: IngestRun[], o: { readyDocuments: number; textDocuments: number }): string[] {
  const base = runs[0] as IngestRun;
  const rate = (x: { documents: number; seconds: number }): number => x.documents / x.seconds;
  return [
    '### `reranker ingest` into Postgres: concurrency and replicas',
    '',
    `Two \`reranker serve\` replicas (one inference worker each) on one Postgres; ${o.readyDocuments.toLocaleString('en')} documents with ready 384-d vectors (\`--vector-field\`), and ${o.textDocuments.toLocaleString('en')} texts of 60 words the service embeds (forged MiniLM-L6 embedder); batches of 256; the service builds the HNSW index after the first batch and later batches insert into it.`,
    '',
    '| run | ready vectors: documents/s | vs the first | texts embedded: documents/s | vs the first |',
    '|---|---|---|---|---|',
    ...runs.map((r) => `| ${r.label} | ${rate(r.ready).toFixed(0)} | ${(rate(r.ready) / rate(base.ready)).toFixed(2)}x | ${rate(r.embedded).toFixed(0)} | ${(rate(r.embedded) / rate(base.embedded)).toFixed(2)}x |`),
  ];
}
