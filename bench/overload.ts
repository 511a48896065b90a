import { readFileSync } from 'node:fs';
import { startService } from './service-contender.js';
import { percentile } from './stats.js';
import type { BenchQuery, BenchWorkload } from './workload.js';

export interface OverloadReport {
  maxQueueMs: number;
  capacityPairsPerSecond: number;
  baselineLatencyMs: number;
  health: { samples: number; p50Ms: number; p99Ms: number };
  offered: { requestsPerSecond: number; seconds: number; requests: number };
  statuses: Record<string, number>;
  tooManyWithRetryAfter: number;
  rssMb: { before: number; peak: number; after: number };
  /** From the end of the offered load until a fresh request was answered in normal time. */
  recoveryMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

async function rerank(url: string, q: BenchQuery): Promise<{ status: number; ms: number; retryAfter: string | null }> {
  const started = performance.now();
  const res = await fetch(`${url}/v2/rerank`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: q.query, documents: q.documents }),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started, retryAfter: res.headers.get('retry-after') };
}

/**
 * Saturation and overload, on the service alone: /health latency while every worker computes, then
 * an open-loop load at 4x the measured capacity. Reports status codes, Retry-After, memory, and how
 * long after the load stops a fresh request is served in its normal time again.
 */
export async function runOverload(modelDir: string, onnxFile: string, work: BenchWorkload, seconds: number, maxQueueMs = 1000): Promise<OverloadReport> {
  const q = (i: number): BenchQuery => work.queries[i % work.queries.length] as BenchQuery;
  // Saturation with the contenders' settings (startService): a queue bound that holds all 8 clients' requests, so none is refused.
  const saturated = await startService(modelDir, onnxFile);
  let baselineLatencyMs: number;
  let capacityPairsPerSecond: number;
  const health: number[] = [];
  try {
    const alone: number[] = [];
    for (let i = 0; i < 3; i++) alone.push((await rerank(saturated.url, q(i))).ms);
    baselineLatencyMs = percentile(alone, 50);
    let saturating = true;
    const prober = (async () => {
      while (saturating) {
        const t = performance.now();
        await fetch(`${saturated.url}/health`).then((r) => r.arrayBuffer());
        health.push(performance.now() - t);
        await sleep(20);
      }
    })();
    const started = performance.now();
    let next = 0;
    let served = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 24) if ((await rerank(saturated.url, q(next++))).status === 200) served++;
      }),
    );
    capacityPairsPerSecond = (served * 100) / ((performance.now() - started) / 1000);
    saturating = false;
    await prober;
  } finally {
    await saturated.stop();
  }

  // Overload on a service whose queue holds about a second of work: open loop at 4x capacity.
  const service = await startService(modelDir, onnxFile, ['--max-queue-ms', String(maxQueueMs)]);
  const pid = service.child.pid;
  try {
    await rerank(service.url, q(0));
    const requestsPerSecond = (4 * capacityPairsPerSecond) / 100;
    const statuses: Record<string, number> = {};
    let tooManyWithRetryAfter = 0;
    const before = rssMb(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 200);
    const inFlight: Promise<void>[] = [];
    const loadStart = performance.now();
    let sent = 0;
    while (performance.now() - loadStart < seconds * 1000) {
      const i = sent++;
      inFlight.push(
        rerank(service.url, q(i)).then(
          (r) => {
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.status === 429 && r.retryAfter !== null) tooManyWithRetryAfter++;
          },
          () => {
            statuses['network error'] = (statuses['network error'] ?? 0) + 1;
          },
        ),
      );
      const due = loadStart + (sent * 1000) / requestsPerSecond;
      await sleep(Math.max(0, due - performance.now()));
    }
    const loadEnd = performance.now();

    // Recovery: fresh requests, one after another, until one is served within 1.5x its normal time.
    let recoveryMs = NaN;
    for (let i = 0; i < 200; i++) {
      const sentAt = performance.now();
      const r = await rerank(service.url, q(i));
      if (r.status === 200 && r.ms <= 1.5 * baselineLatencyMs) {
        recoveryMs = sentAt - loadEnd;
        break;
      }
      if (r.status !== 200) await sleep(50);
    }
    await Promise.all(inFlight);
    clearInterval(sampler);
    return {
      maxQueueMs,
      capacityPairsPerSecond,
      baselineLatencyMs,
      health: { samples: health.length, p50Ms: percentile(health, 50), p99Ms: percentile(health, 99) },
      offered: { requestsPerSecond, seconds, requests: sent },
      statuses,
      tooManyWithRetryAfter,
      rssMb: { before, peak, after: rssMb(pid) },
      recoveryMs,
    };
  } finally {
    await service.stop();
  }
}

export function renderOverload(o: OverloadReport): string[] {
  const codes = Object.entries(o.statuses)
    .map(([code, n]) => `${code}: ${n}`)
    .join(', ');
  const fiveXx = Object.entries(o.statuses).reduce((n, [code, k]) => n + (code.startsWith('5') ? k : 0), 0);
  return [
    '',
    `Saturation and overload (fp32): capacity ${o.capacityPairsPerSecond.toFixed(0)} pairs/s at concurrency 8 (default settings but \`--max-queue-ms 120000\`, so the 8 clients are never refused), one request alone ${o.baselineLatencyMs.toFixed(0)} ms.`,
    `- \`/health\` while 8 clients saturate the workers: p50 ${o.health.p50Ms.toFixed(1)} ms, p99 ${o.health.p99Ms.toFixed(1)} ms (${o.health.samples} probes).`,
    `- With \`--max-queue-ms ${o.maxQueueMs}\`, offered ${o.offered.requestsPerSecond.toFixed(1)} requests/s (4x capacity) for ${o.offered.seconds} s, ${o.offered.requests} requests: ${codes}; ${o.tooManyWithRetryAfter} of the 429s carried Retry-After; ${fiveXx} 5xx.`,
    `- Service memory (RSS): ${o.rssMb.before.toFixed(0)} MB before, ${o.rssMb.peak.toFixed(0)} MB peak, ${o.rssMb.after.toFixed(0)} MB after.`,
    `- A fresh request sent ${Number.isNaN(o.recoveryMs) ? 'never (within 200 tries)' : `${o.recoveryMs.toFixed(0)} ms`} after the load stopped was served within 1.5x its normal time.`,
  ];
}
