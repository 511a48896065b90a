import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { Command } from 'commander';
import { forgeModel } from '../src/tools/forge/index.js';
import { describeMachine } from './machine.js';
import { DEFAULT_MODEL_DIR } from './options.js';
import { startService, type ServiceUnderTest } from './service-contender.js';
import { percentile } from './stats.js';
import { prepareWorkload, type BenchQuery } from './workload.js';

/**
 * Issue 11: slow clients. Many connections trickle a request body a byte a second (slowloris on the
 * body) while one client sends normal rerank requests one after another. Measured: the normal
 * requests' latency against the same requests on an idle service, how long the slow connections live
 * against --request-body-timeout-ms (and whether they got their 408), and the service's memory.
 * Loopback only. `node dist-bench/bench/slow-clients.js [--slow 200] [--seconds 20] [--body-timeout-ms 5000]`
 */

const FP32_FILE = 'onnx/model.onnx';
const log = (msg: string): void => void process.stderr.write(`[slow-clients] ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const SLOW_CLIENT_DEFAULTS = { slow: 200, seconds: 20, bodyTimeoutMs: 5000, documents: 20, requests: 60 } as const;

interface Options {
  model: string;
  slow: number;
  seconds: number;
  bodyTimeoutMs: number;
  documents: number;
  requests: number;
}

function parseOptions(argv: string[]): Options {
  const o = new Command('slow-clients')
    .option('--model <dir>', `cross-encoder folder (forged as minilm-l6 when it is ${DEFAULT_MODEL_DIR} and missing)`, DEFAULT_MODEL_DIR)
    .option('--slow <n>', 'connections trickling a body a byte a second', String(SLOW_CLIENT_DEFAULTS.slow))
    .option('--seconds <n>', 'how long the slow connections are kept up (each reconnects when closed)', String(SLOW_CLIENT_DEFAULTS.seconds))
    .option('--body-timeout-ms <n>', 'the service\'s --request-body-timeout-ms', String(SLOW_CLIENT_DEFAULTS.bodyTimeoutMs))
    .option('--documents <n>', 'documents per normal rerank request', String(SLOW_CLIENT_DEFAULTS.documents))
    .option('--requests <n>', 'normal requests measured unloaded (under load: as many as fit in --seconds)', String(SLOW_CLIENT_DEFAULTS.requests))
    .parse(argv)
    .opts<Record<string, string>>();
  const n = (k: string): number => {
    const v = Number(o[k]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer, got ${o[k]}`);
    return v;
  };
  return { model: o['model'] as string, slow: n('slow'), seconds: n('seconds'), bodyTimeoutMs: n('bodyTimeoutMs'), documents: n('documents'), requests: n('requests') };
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

async function rerank(url: string, q: BenchQuery): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q.query, documents: q.documents }) });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`a normal request answered ${res.status}`);
  return performance.now() - started;
}

interface SlowOutcome {
  /** From connect until the service closed the connection. */
  lifetimeMs: number;
  /** The status line the service sent before closing, if any. */
  status: number | undefined;
}

/**
 * One slow client: headers at once, then a body of 100,000 declared bytes a byte a second. Resolves
 * when the service closes the connection (or, once `stop` is called, when the client gives up).
 */
function slowConnection(port: number, stopped: () => boolean): Promise<SlowOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write('POST /v2/rerank HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
      timer = setInterval(() => {
        if (stopped()) socket.destroy();
        else if (socket.writable) socket.write(' ');
      }, 1000);
    });
    socket.once('close', () => {
      clearInterval(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      resolve({ lifetimeMs: performance.now() - started, status: status === undefined ? undefined : Number(status) });
    });
  });
}

interface Report {
  machine: string;
  model: string;
  options: Options;
  unloaded: number[];
  loaded: number[];
  slow: SlowOutcome[];
  /** Slow connections open at once, sampled while the normal requests ran: min and max. */
  openDuringLoad: { min: number; max: number };
  rss: { before: number; peak: number; after: number };
}

async function measure(service: ServiceUnderTest, opts: Options, queries: BenchQuery[]): Promise<Omit<Report, 'machine' | 'model' | 'options'>> {
  const port = Number(new URL(service.url).port);
  const pid = service.child.pid;
  const q = (i: number): BenchQuery => queries[i % queries.length] as BenchQuery;
  for (let i = 0; i < 5; i++) await rerank(service.url, q(i));
  const unloaded: number[] = [];
  for (let i = 0; i < opts.requests; i++) unloaded.push(await rerank(service.url, q(i)));
  const before = rssMb(pid);

  log(`${opts.slow} slow connections for ${opts.seconds} s, normal requests meanwhile`);
  let stop = false;
  let open = 0;
  const outcomes: SlowOutcome[] = [];
  const keepUp = async (): Promise<void> => {
    while (!stop) {
      open++;
      const outcome = await slowConnection(port, () => stop);
      open--;
      if (!stop) outcomes.push(outcome);
    }
  };
  const clients = Array.from({ length: opts.slow }, () => keepUp());
  let peak = before;
  const openSeen = { min: Infinity, max: 0 };
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 200);
  // Let every slow connection send its headers before measuring.
  await sleep(1500);
  const loaded: number[] = [];
  const until = performance.now() + (opts.seconds - 1.5) * 1000;
  for (let i = 0; performance.now() < until; i++) {
    openSeen.min = Math.min(openSeen.min, open);
    openSeen.max = Math.max(openSeen.max, open);
    loaded.push(await rerank(service.url, q(i)));
  }
  stop = true;
  await Promise.all(clients);
  clearInterval(sampler);
  await sleep(1000);
  return { unloaded, loaded, slow: outcomes, openDuringLoad: openSeen, rss: { before, peak, after: rssMb(pid) } };
}

export function renderSlowClients(r: Report): string {
  const ms = (x: number): string => x.toFixed(1);
  const p50u = percentile(r.unloaded, 50);
  const p50l = percentile(r.loaded, 50);
  const lifetimes = r.slow.map((s) => s.lifetimeMs / 1000);
  const with408 = r.slow.filter((s) => s.status === 408).length;
  const within = r.slow.filter((s) => s.lifetimeMs <= r.options.bodyTimeoutMs + 1000).length;
  return [
    '### Slow clients',
    '',
    `- Machine: ${r.machine}`,
    `- Service: \`${r.model}\` (fp32), \`--request-body-timeout-ms ${r.options.bodyTimeoutMs}\`, other settings default; everything on 127.0.0.1.`,
    `- Normal requests: \`POST /v2/rerank\` with ${r.options.documents} documents, one at a time.`,
    `- ${r.options.slow} slow connections, each sending its headers and then its body a byte a second, reconnecting when closed, for ${r.options.seconds} s (${r.openDuringLoad.min}-${r.openDuringLoad.max} open while the normal requests ran).`,
    '',
    '| | requests | p50 ms | p90 ms | p99 ms |',
    '|---|---|---|---|---|',
    `| idle service | ${r.unloaded.length} | ${ms(p50u)} | ${ms(percentile(r.unloaded, 90))} | ${ms(percentile(r.unloaded, 99))} |`,
    `| under ${r.options.slow} slow-body connections | ${r.loaded.length} | ${ms(p50l)} | ${ms(percentile(r.loaded, 90))} | ${ms(percentile(r.loaded, 99))} |`,
    '',
    `- p50 under load / idle: **${(p50l / p50u).toFixed(2)}x** (goal: at most 1.5x).`,
    `- Slow connections closed by the service: ${r.slow.length}; ${with408} of them got a 408 first; lifetime min ${Math.min(...lifetimes).toFixed(2)} s, p50 ${percentile(lifetimes, 50).toFixed(2)} s, max ${Math.max(...lifetimes).toFixed(2)} s against the ${(r.options.bodyTimeoutMs / 1000).toFixed(0)} s timeout (${within} of ${r.slow.length} within it plus the 1 s allowed for reading the 408).`,
    `- Service memory (RSS): ${r.rss.before.toFixed(0)} MB before the slow connections, ${r.rss.peak.toFixed(0)} MB peak, ${r.rss.after.toFixed(0)} MB after.`,
  ].join('\n');
}

/** The whole measurement on a fresh service; the rendered section. `npm run bench` runs it with the defaults. */
export async function runSlowClientsBench(modelDir: string, opts: Omit<Options, 'model'>): Promise<string> {
  const work = prepareWorkload(modelDir, 8, 1);
  const queries = work.queries.map((q) => ({ ...q, documents: q.documents.slice(0, opts.documents), pairLengths: q.pairLengths.slice(0, opts.documents) }));
  const service = await startService(modelDir, FP32_FILE, ['--request-body-timeout-ms', String(opts.bodyTimeoutMs)]);
  try {
    const measured = await measure(service, { ...opts, model: modelDir }, queries);
    const model = modelDir.startsWith(process.cwd() + path.sep) ? path.relative(process.cwd(), modelDir) : modelDir;
    return renderSlowClients({ machine: describeMachine(), model, options: { ...opts, model: modelDir }, ...measured });
  } finally {
    await service.stop();
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv);
  const modelDir = path.resolve(opts.model);
  if (!existsSync(path.join(modelDir, FP32_FILE))) {
    if (modelDir !== path.resolve(DEFAULT_MODEL_DIR)) throw new Error(`${opts.model} has no ${FP32_FILE}`);
    log(`forging minilm-l6 into ${opts.model}`);
    await forgeModel({ out: modelDir, preset: 'minilm-l6' });
  }
  process.stdout.write(`${await runSlowClientsBench(modelDir, opts)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
