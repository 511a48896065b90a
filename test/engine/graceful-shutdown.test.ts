import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { forgedModel } from '../support/forged-model.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

describe('SIGTERM with requests in flight', () => {
  it('finishes them, closes the worker pool and exits 0', async () => {
    const model = await forgedModel();
    const child = spawn(process.execPath, [CLI, 'serve', '--model', model, '--embedding-model', 'none', '--store', 'none', '--host', '127.0.0.1', '--port', '0', '--workers', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const logs: { msg?: string; url?: string }[] = [];
    let onReady: (url: string) => void = () => undefined;
    const ready = new Promise<string>((resolve) => (onReady = resolve));
    let url = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      logs.push(entry);
      if (entry.url !== undefined) url = entry.url;
      if (entry.msg === 'models ready') onReady(url);
    });
    const base = await ready;
    const documents = Array.from({ length: 400 }, (_, i) => `document ${i} ${'about paris and the river '.repeat(1 + (i % 20))}`);
    const inFlight = Array.from({ length: 3 }, (_, k) =>
      fetch(`${base}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `paris ${k}`, documents }) }),
    );
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGTERM');
    const responses = await Promise.all(inFlight);
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(400);
    }
    const [code] = await exited;
    expect(code).toBe(0);
    expect(logs.map((l) => l.msg)).toContain('shut down cleanly');
  });
});
