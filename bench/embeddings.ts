import path from 'node:path';
import { loadEmbedder, type EmbedderSpec } from '../src/models/kinds/embedder.js';
import { ModelSession } from '../src/runtime/onnx-session.js';
import { normalizeRows } from '../src/runtime/heads/pooling-modes.js';
import { generateWorkload, wordsFromTokenizerJson } from '../src/tools/quantize/synthetic-workload.js';
import { startService } from './service-contender.js';
import { percentile } from './stats.js';

/** Texts per request: a typical ingest or search-side batch. */
export const TEXTS_PER_REQUEST = 32;

export interface EmbedRun {
  contender: string;
  concurrency: number;
  texts: number;
  seconds: number;
  /** Per request, in seconds. */
  latencies: number[];
}

export interface EmbedReport {
  model: string;
  workload: string;
  runs: EmbedRun[];
  /** Largest |component difference| between transformers.js's vectors and the service's on the first request. */
  agreement: number | undefined;
}

interface Workload {
  spec: EmbedderSpec;
  requests: string[][];
  texts: number;
  tokens: number;
}

function prepare(dir: string, requests: number, seed: number): Workload {
  const spec = loadEmbedder(dir, {});
  const items = generateWorkload(wordsFromTokenizerJson(spec.folder.tokenizerJson), { queries: requests, docsPerQuery: TEXTS_PER_REQUEST, seed });
  const truncation = { direction: 'right' as const, truncate: true };
  let tokens = 0;
  for (const item of items) for (const d of item.documents) tokens += spec.encoder.encode(d, truncation).ids.length;
  return { spec, requests: items.map((i) => i.documents), texts: requests * TEXTS_PER_REQUEST, tokens };
}

/** `concurrency` callers, each taking the next request as soon as its last one returns. */
async function drive(requests: string[][], concurrency: number, embed: (texts: string[]) => Promise<unknown>): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const t0 = performance.now();
        await embed(requests[i] as string[]);
        latencies.push((performance.now() - t0) / 1000);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies };
}

async function serviceEmbed(url: string, texts: string[]): Promise<number[][]> {
  const res = await fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: texts, encoding_format: 'float' }) });
  if (!res.ok) throw new Error(`POST /v1/embeddings answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: { embedding: number[] }[] }).data.map((d) => d.embedding);
}

/**
 * Embedding throughput, in one run: this service over HTTP (its own process, cache off), transformers.js's
 * feature-extraction pipeline (mean pooling, normalised; 8 concurrent callers share its one session),
 * and plain onnxruntime-node with the service's tokenizer and one padded batch per request.
 */
export async function runEmbeddingBench(opts: { rerankerDir: string; embedderDir: string; requests: number; seed: number; log: (msg: string) => void }): Promise<EmbedReport> {
  const work = prepare(opts.embedderDir, opts.requests, opts.seed);
  const runs: EmbedRun[] = [];
  const record = (contender: string, concurrency: number, r: { seconds: number; latencies: number[] }): void => {
    runs.push({ contender, concurrency, texts: work.texts, ...r });
    opts.log(`${contender} c${concurrency}: ${(work.texts / r.seconds).toFixed(0)} texts/s`);
  };

  let serviceFirst: number[][] = [];
  const service = await startService(opts.rerankerDir, 'onnx/model.onnx', [], { dir: opts.embedderDir });
  try {
    serviceFirst = await serviceEmbed(service.url, work.requests[0] as string[]);
    for (const c of [1, 8]) record('this service over HTTP', c, await drive(work.requests, c, (t) => serviceEmbed(service.url, t)));
  } finally {
    await service.stop();
  }

  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${path.dirname(path.resolve(opts.embedderDir))}${path.sep}`;
  const extractor = await pipeline('feature-extraction', path.basename(path.resolve(opts.embedderDir)), { dtype: 'fp32', device: 'cpu' });
  let agreement: number | undefined;
  try {
    const first = (await extractor(work.requests[0] as string[], { pooling: 'mean', normalize: true })).tolist() as number[][];
    agreement = Math.max(...first.flatMap((v, i) => v.map((x, d) => Math.abs(x - (serviceFirst[i]?.[d] ?? NaN)))));
    for (const c of [1, 8]) record('transformers.js feature-extraction pipeline', c, await drive(work.requests, c, (t) => extractor(t, { pooling: 'mean', normalize: true })));
  } finally {
    await extractor.dispose();
  }

  // Plain onnxruntime-node: tokenize, pad the request to its longest text, one run, pool.
  const session = await ModelSession.create({ onnxPath: work.spec.folder.onnxPath, padId: work.spec.tokenizer.padId, head: { ...work.spec.head, normalize: false }, label: 'embedder' });
  try {
    const truncation = { direction: 'right' as const, truncate: true };
    record('onnxruntime-node, one padded batch per request', 1, await drive(work.requests, 1, async (texts) => {
      const out = await session.run(texts.map((t) => work.spec.encoder.encode(t, truncation)));
      normalizeRows(out.data, texts.length, out.width);
    }));
  } finally {
    await session.release();
  }
  return {
    model: opts.embedderDir,
    workload: `${opts.requests} requests x ${TEXTS_PER_REQUEST} texts (seed ${opts.seed}), ${work.texts} texts, ${(work.tokens / work.texts).toFixed(1)} tokens per text on average`,
    runs,
    agreement,
  };
}

export function renderEmbeddings(r: EmbedReport): string[] {
  const rate = (run: EmbedRun): number => run.texts / run.seconds;
  const tjs8 = r.runs.find((x) => x.contender.startsWith('transformers.js') && x.concurrency === 8);
  const rows = r.runs.map((run) => [
    run.contender,
    String(run.concurrency),
    rate(run).toFixed(0),
    tjs8 === undefined ? 'n/a' : `${(rate(run) / rate(tjs8)).toFixed(2)}x`,
    `${(percentile(run.latencies, 50) * 1000).toFixed(0)} / ${(percentile(run.latencies, 99) * 1000).toFixed(0)}`,
  ]);
  const header = ['contender', 'concurrency', 'texts/s', 'vs transformers.js c8', 'p50 / p99 ms per request'];
  return [
    '',
    `#### Embeddings (\`${r.model}\`)`,
    '',
    `- Workload: ${r.workload}`,
    `- transformers.js and the service agree to ${r.agreement === undefined ? 'n/a' : r.agreement.toExponential(1)} per component on the first request (mean pooling, normalised).`,
    '',
    [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n'),
  ];
}
