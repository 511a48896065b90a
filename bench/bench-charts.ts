import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { barChart, COLORS, type BarChart } from './charts.js';
import type { SearchReport } from './search.js';
import { pairsPerSecond, percentile, type RunResult } from './stats.js';

/** What the charts are drawn from: the figures of one run, the same ones the tables print. */
export interface ChartInput {
  runs: ReadonlyArray<{ fp32: RunResult; int8: RunResult }>;
  search?: SearchReport | undefined;
}

export interface NamedChart {
  /** File name inside the charts folder. */
  file: string;
  chart: BarChart;
}

const ms = (seconds: number): number => seconds * 1000;

/** Pairs/s, latency percentiles and, when the search section ran, its stages: one chart each. */
export function benchCharts(input: ChartInput): NamedChart[] {
  const charts: NamedChart[] = [];
  if (input.runs.length > 0) {
    charts.push({
      file: 'rerank-throughput.svg',
      chart: {
        title: 'Rerank throughput (pairs/s, higher is better)',
        unit: 'pairs/s',
        series: [{ name: 'fp32', color: COLORS.fp32 }, { name: 'int8', color: COLORS.int8 }],
        rows: input.runs.map((r) => ({ label: r.fp32.contender, values: [pairsPerSecond(r.fp32), pairsPerSecond(r.int8)] })),
      },
    });
    charts.push({
      file: 'rerank-latency.svg',
      chart: {
        title: 'Rerank latency per request (ms, lower is better)',
        unit: 'ms',
        series: [{ name: 'p50', color: COLORS.p50 }, { name: 'p99', color: COLORS.p99 }],
        rows: input.runs.flatMap((r) => [r.fp32, r.int8]).map((run) => ({
          label: `${run.contender}, ${run.dtype}`,
          values: [ms(percentile(run.latencies, 50)), ms(percentile(run.latencies, 99))],
        })),
      },
    });
  }
  const search = input.search;
  if (search !== undefined && search.runs.length > 0) {
    // Grouped, not stacked: the lexical leg runs while the query is embedded, so stacking the
    // stages would add up time that overlapped.
    const columns = search.runs.flatMap((run) => run.search.map((s) => ({ name: `${run.store}, concurrency ${s.concurrency}`, stages: s.stages })));
    const stages = [...new Set(columns.flatMap((c) => Object.keys(c.stages)))];
    charts.push({
      file: 'search-stages.svg',
      chart: {
        title: `/search stages, mean ms per request (${search.docs} documents)`,
        unit: 'ms',
        series: columns.map((c, i) => ({ name: c.name, color: COLORS.stages[i % COLORS.stages.length] as string })),
        rows: stages.map((stage) => ({ label: stage, values: columns.map((c) => (c.stages[stage] === undefined ? undefined : ms(c.stages[stage]))) })),
      },
    });
  }
  return charts;
}

/**
 * Writes the charts into `dir` and returns the Markdown that shows them, with paths relative to
 * `markdownDir` (where BENCHMARKS.md lives), so the images render on a code host and locally.
 */
export async function writeCharts(charts: readonly NamedChart[], dir: string, markdownDir: string): Promise<string[]> {
  if (charts.length === 0) return [];
  await mkdir(dir, { recursive: true });
  const lines: string[] = ['### Charts', ''];
  for (const { file, chart } of charts) {
    await writeFile(path.join(dir, file), barChart(chart));
    const rel = path.relative(markdownDir, path.join(dir, file)).split(path.sep).join('/');
    lines.push(`![${chart.title}](${rel})`, '');
  }
  return lines;
}
