import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.js';

/**
 * Issue 24: a newcomer's walk through README, its commands run as written (bash, from the repo
 * root), on an ephemeral port instead of 8080 and with TMPDIR pointing at a temp folder. The set-up
 * (`npm ci`) is what ran before this test; the walk forges the two models as README does, then runs
 * the Search quick start: serve in the background, ingest, search, Server-Timing with inference, stop.
 */
const ROOT = new URL('..', import.meta.url).pathname;
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first ```sh block after `marker`. */
function block(marker: string): string {
  const at = readme.indexOf(marker);
  expect(at, marker).toBeGreaterThanOrEqual(0);
  const m = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  return m?.[1] ?? '';
}

/**
 * The JSON value a line starts with: the background server shares the terminal, and its log line for
 * the request can land right after curl's answer, before the newline that follows it.
 */
function firstJson(line: string): unknown {
  for (let end = line.indexOf('}') + 1; end > 0; end = line.indexOf('}', end) + 1) {
    try {
      return JSON.parse(line.slice(0, end));
    } catch {
      // not the end of the first value yet
    }
  }
  return JSON.parse(line);
}

function bash(script: string, env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

describe('README, walked as a newcomer would (issue 24)', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'readme-walk-'));
  });
  afterAll(async () => rm(tmp, { recursive: true, force: true }));

  it('forges the models and runs the Search quick start to a reranked answer', async () => {
    // The forge halves of README's two model commands (the `npm start` halves run in the foreground).
    const forges = [block('With no model at hand, forge one'), block('Offline, forge an embedder too')].map((b) => b.split(' && npm start')[0]?.trim() ?? '');
    for (const command of forges) expect(command).toMatch(/^npm run forge -- --out models\/forged-/);
    const forged = await bash(forges.join('\n'), {}, 120_000);
    expect(forged.code, forged.stderr).toBe(0);

    const port = String(await freePort());
    const quickStart = block('From a temp folder to a reranked answer');
    expect(quickStart).toContain('kill $server');
    const script = quickStart.replaceAll('8080', port);
    // No store of a previous walk: the temp folder is new, and the server's data goes there.
    const run = await bash(script, { PORT: port, TMPDIR: tmp }, 180_000);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.some((l) => /^ingested 2 documents into docs/.test(l))).toBe(true);
    const answer = firstJson(lines.find((l) => l.startsWith('{"id"')) ?? '{}') as { results?: { id: string; document: { text: string } }[] };
    expect(answer.results?.map((r) => r.id)).toEqual(['1']);
    expect(answer.results?.[0]?.document.text).toBe('Paris is the capital of France.');
    const timing = lines.find((l) => /^server-timing:/i.test(l)) ?? '';
    expect(timing).toMatch(/\binference;dur=/);
    // `kill $server` stopped it: the port is free again.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await fetch(`http://127.0.0.1:${port}/health`).then(() => 'answered', () => 'closed')).toBe('closed');
  }, 300_000);
});
