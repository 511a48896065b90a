import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from './free-port.js';
import { findBinary } from './system-binary.js';

export const PROMETHEUS_BINARY = findBinary('prometheus');
export const PROMETHEUS_HINT = 'prometheus is not on PATH, so the dashboard test is skipped: `apt-get install -y prometheus` (Debian; .ci/run does it) or put a prometheus binary on PATH';

const COMPOSE_CONFIG = new URL('../../docker/prometheus/prometheus.yml', import.meta.url);

interface ScrapeConfig {
  job_name: string;
  static_configs: { targets: string[] }[];
  [key: string]: unknown;
}

/** One sample of an instant query: its labels and value (Prometheus sends the value as a string; NaN included). */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/**
 * docker/prometheus/prometheus.yml's job, scraping `target` every second: the compose job itself
 * (metrics path, job name) so the test reads what operators deploy, only the target and timing changed.
 */
export function testScrapeConfig(target: string, job = 'reranker'): string {
  const config = parse(readFileSync(COMPOSE_CONFIG, 'utf8')) as { scrape_configs: ScrapeConfig[] };
  const found = config.scrape_configs.find((c) => c.job_name === job);
  if (found === undefined) throw new Error(`docker/prometheus/prometheus.yml has no job '${job}'`);
  return stringify({
    // A timeout may not exceed the interval; one second each keeps the test short.
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: [{ ...found, static_configs: [{ targets: [target] }] }],
  });
}

/** A private Prometheus: its own data folder and port on loopback, gone after close(). */
export class PrometheusChild {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'reranker-prometheus-'));
  private log = '';
  url = '';

  /** Starts scraping `target` (host:port) and resolves once Prometheus reports ready. */
  async start(target: string): Promise<void> {
    if (PROMETHEUS_BINARY === undefined) throw new Error(PROMETHEUS_HINT);
    const configFile = join(this.dir, 'prometheus.yml');
    writeFileSync(configFile, testScrapeConfig(target));
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const child = spawn(
      PROMETHEUS_BINARY,
      [`--config.file=${configFile}`, `--storage.tsdb.path=${join(this.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-8000);
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${this.log}`);
      const res = await fetch(`${this.url}/-/ready`).catch(() => undefined);
      if (res?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`prometheus was not ready within 30 s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** An instant query through the HTTP API (/api/v1/query), as Grafana's panels send them. */
  async query(expr: string): Promise<PromSample[]> {
    const res = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success' || body.data === undefined) throw new Error(`${expr}: ${body.error ?? res.status}`);
    if (body.data.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${body.data.resultType}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** Waits until Prometheus has finished `count` more scrapes of the target than when called. */
  async scrapes(count: number, timeoutMs = 20_000): Promise<void> {
    // scrape_samples_scraped is written once per scrape; counting its points over a window counts scrapes.
    const done = async (): Promise<number> => (await this.query('count_over_time(scrape_samples_scraped[10m])'))[0]?.value ?? 0;
    const target = (await done()) + count;
    const deadline = Date.now() + timeoutMs;
    while ((await done()) < target) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} scrapes in ${timeoutMs} ms:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async close(): Promise<void> {
    const child = this.child;
    if (child !== undefined && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
