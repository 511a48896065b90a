import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './system-binary.js';

export const CHROMIUM_BINARY = findBinary('chromium', 'chromium-browser', 'google-chrome');
export const CHROMIUM_HINT = 'chromium is not on PATH, so the Swagger UI test is skipped: `apt-get install -y chromium` (Debian; .ci/run does it) or put chromium on PATH';

/**
 * The DOM of a page after its scripts ran, from headless Chromium. `--virtual-time-budget` lets the
 * page's timers and fetches run for that much virtual time before the DOM is printed, which is how
 * a single-page app such as Swagger UI gets to render; on loopback it takes a few real seconds.
 * A private profile folder keeps parallel runs apart; --no-sandbox because CI runs as root.
 */
export async function renderedDom(url: string, budgetMs = 15_000): Promise<string> {
  if (CHROMIUM_BINARY === undefined) throw new Error(CHROMIUM_HINT);
  const profile = mkdtempSync(join(tmpdir(), 'reranker-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    `--virtual-time-budget=${budgetMs}`,
    '--dump-dom',
    url,
  ];
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(CHROMIUM_BINARY, args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`chromium failed on ${url}: ${err.message}\n${stderr.slice(-2000)}`));
        else resolve(stdout);
      });
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
