import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { benchCharts, writeCharts } from '../../bench/bench-charts.js';
import type { SearchReport, StoreRun } from '../../bench/search.js';
import type { RunResult } from '../../bench/stats.js';

const run = (contender: string, dtype: RunResult['dtype'], pairs: number, seconds: number, latencies: number[]): RunResult => ({
  contender,
  dtype,
  pairs,
  seconds,
  latencies,
  realTokens: 0,
  computedTokens: undefined,
  flops: undefined,
});

const runs = [
  { fp32: run('service c8', 'fp32', 1000, 4, [0.5, 0.6, 0.9]), int8: run('service c8', 'int8', 1000, 2, [0.2, 0.25, 0.4]) },
  { fp32: run('transformers.js <q&a>', 'fp32', 1000, 40, [4, 5, 6]), int8: run('transformers.js <q&a>', 'int8', 1000, 20, [2, 3, 3.5]) },
];

const storeRun = (store: StoreRun['store'], stages: Record<string, number>): StoreRun => ({
  store,
  readyVectors: false,
  ingestSeconds: 1,
  embedSeconds: 0.5,
  writeSeconds: 0.5,
  indexSeconds: 0.1,
  search: [{ concurrency: 1, latencies: [0.3], stages }],
  rerank: [0.28],
  repeat: { first: 0.3, second: 0.01, cachedPairs: 100, embeddingTokens: 0 },
  knn: { exact: [0.01], hnsw: [0.002], recall: 1, filteredHnsw: [0.003], filteredRecall: 1 },
});
const search: SearchReport = { docs: 1000, queries: 2, meanWords: 50, runs: [storeRun('pglite', { embed: 0.004, vector: 0.006, inference: 0.25 }), storeRun('postgres', { embed: 0.004, lexical: 0.002 })] };

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, isArray: (name) => ['rect', 'text'].includes(name) });
const textOf = (t: unknown): string => (typeof t === 'object' && t !== null ? String((t as Record<string, unknown>)['#text'] ?? '') : String(t));

describe('benchmark charts', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writes well-formed SVG whose bars are as long as their figures say, labels escaped', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'charts-'));
    dirs.push(dir);
    const charts = benchCharts({ runs, search });
    const lines = await writeCharts(charts, path.join(dir, 'bench', 'charts'), dir);
    expect((await readdir(path.join(dir, 'bench', 'charts'))).sort()).toEqual(['rerank-latency.svg', 'rerank-throughput.svg', 'search-stages.svg']);
    expect(lines).toContain('![Rerank throughput (pairs/s, higher is better)](bench/charts/rerank-throughput.svg)');

    for (const { file } of charts) {
      const svg = await readFile(path.join(dir, 'bench', 'charts', file), 'utf8');
      expect(XMLValidator.validate(svg), file).toBe(true);
      expect(parser.parse(svg).svg.xmlns).toBe('http://www.w3.org/2000/svg');
    }

    // Throughput: 250, 500, 25 and 50 pairs/s; the widest bar is int8 of the service.
    const throughput = parser.parse(await readFile(path.join(dir, 'bench', 'charts', 'rerank-throughput.svg'), 'utf8')).svg;
    const bars = (throughput.rect as Record<string, string>[]).filter((r) => r.fill === '#4e79a7' || r.fill === '#f28e2b').filter((r) => Number(r.height) === 14);
    const widths = bars.map((r) => Number(r.width));
    expect(widths).toHaveLength(4);
    expect(widths[0]! / widths[1]!).toBeCloseTo(250 / 500, 2);
    expect(widths[2]! / widths[1]!).toBeCloseTo(25 / 500, 2);
    expect(widths[3]! / widths[1]!).toBeCloseTo(50 / 500, 2);
    const texts = (throughput.text as unknown[]).map(textOf);
    expect(texts).toEqual(expect.arrayContaining(['service c8', 'transformers.js <q&a>', '250', '500', '25.0', '50.0']));

    // Latency: p50 and p99 in milliseconds, one row per contender and precision.
    const latency = parser.parse(await readFile(path.join(dir, 'bench', 'charts', 'rerank-latency.svg'), 'utf8')).svg;
    const latencyTexts = (latency.text as unknown[]).map(textOf);
    expect(latencyTexts).toEqual(expect.arrayContaining(['service c8, fp32', 'service c8, int8', '600', '900', '5000', '6000']));

    // Search: one row per stage any store reported, a gap where a store did not report it.
    const stages = parser.parse(await readFile(path.join(dir, 'bench', 'charts', 'search-stages.svg'), 'utf8')).svg;
    const stageTexts = (stages.text as unknown[]).map(textOf);
    expect(stageTexts).toEqual(expect.arrayContaining(['embed', 'vector', 'inference', 'lexical', 'pglite, concurrency 1', 'postgres, concurrency 1', '250', '4.00', '6.00', '2.00']));
  });

  it('draws nothing for sections that did not run', () => {
    expect(benchCharts({ runs: [] })).toEqual([]);
    expect(benchCharts({ runs, search: undefined }).map((c) => c.file)).toEqual(['rerank-throughput.svg', 'rerank-latency.svg']);
  });
});
