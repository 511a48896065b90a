import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';

const CHILD = fileURLToPath(new URL('./ingest-child.mjs', import.meta.url));
const PER_BATCH = 40;

/** Runs the ingesting child until it has acknowledged `acks` batches (and a little more), then kill -9. */
function ingestThenKill(dataDir: string, first: number, acks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, String(first), String(PER_BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^ack (\d+)$/.exec(line);
        if (m === null) continue;
        acked.push(Number(m[1]));
        // Kill at a moment that is not a batch boundary: somewhere inside the next batch.
        if (acked.length === acks) setTimeout(() => child.kill('SIGKILL'), 5 + Math.random() * 40);
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`the ingest child exited with ${code}: ${stderr}`));
    });
  });
}

describe('embedded store durability', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('loses at most the unacknowledged batch when the process is killed with SIGKILL mid-ingest', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rr-durable-'));
    dirs.push(dataDir);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 2; round++) {
      const acked = await ingestThenKill(dataDir, next, 6);
      expect(acked.length).toBeGreaterThanOrEqual(6);
      // The lock of the killed process is stale; the directory opens, recovering from its WAL.
      const store = await openStore({ url: undefined, dataDir, timeoutMs: 30_000, poolSize: 2, schema: 'reranker' });
      try {
        const last = acked.at(-1)!;
        for (const b of acked) {
          const hits = await store!.vectorSearch('ingest', new Float32Array(16).fill(0.25), 1000, { exact: true, filter: { batch: b } });
          expect(hits, `batch ${b}`).toHaveLength(PER_BATCH);
        }
        // The batch in flight at the kill is all there or not at all (one transaction).
        const inFlight = await store!.vectorSearch('ingest', new Float32Array(16).fill(0.25), 1000, { exact: true, filter: { batch: last + 1 } });
        expect([0, PER_BATCH]).toContain(inFlight.length);
        expected += acked.length * PER_BATCH + inFlight.length;
        console.log(`round ${round}: killed after ${acked.length} acknowledged batches; the batch in flight ${inFlight.length > 0 ? 'had committed' : 'was lost'}`);
        expect(await store!.count('ingest')).toBe(expected);
        expect((await store!.lexicalSearch('ingest', `batch ${last} document 3`, 5)).length).toBe(5);
        next = last + 2;
      } finally {
        await store!.close();
      }
    }
  });
});
