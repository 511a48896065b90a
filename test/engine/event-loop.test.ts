import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { forgedModel } from '../support/forged-model.js';

let server: RunningServer;
beforeAll(async () => {
  const config = buildConfig({ model: await forgedModel({ preset: 'minilm-l6' }), host: '127.0.0.1', port: '0', workers: '2', threads: '1' });
  server = await startServer(config, { logger: pino({ level: 'silent' }) });
  await server.ready;
});
afterAll(async () => server.close());

const WORDS = 'paris france capital river seine bank bread cheese wine tower museum art history'.split(' ');

describe('the event loop while the pool is saturated', () => {
  it('answers /health with p99 well under 50 ms', async () => {
    // Distinct documents each time, so no cache in front of the engine can answer for it.
    let sent = 0;
    const documents = (): string[] => {
      const n = sent++;
      return Array.from({ length: 100 }, (_, i) => `${n}-${i} ${Array.from({ length: 30 + (i % 5) * 10 }, (_, j) => WORDS[(i * 7 + j) % WORDS.length]).join(' ')}`);
    };
    let stop = false;
    let reranked = 0;
    // Three clients keep the workers busy: a new request as soon as one returns.
    const clients = Array.from({ length: 3 }, async () => {
      while (!stop) {
        const res = await fetch(`${server.url}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'capital of france', documents: documents() }) });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        reranked++;
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      const res = await fetch(`${server.url}/health`);
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
    stop = true;
    await Promise.all(clients);
    const pairsScored = (await server.service.metrics.pairsScored.get()).values[0]?.value ?? 0;
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)] as number;
    console.log(`/health p50 ${latencies[100]?.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms; ${reranked} requests, ${pairsScored} pairs scored`);
    expect(pairsScored).toBeGreaterThan(200);
    expect(p99).toBeLessThan(50);
  });
});
