import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConfig, SETTINGS, type Config } from '../../src/config.js';
import { ModelLoadError } from '../../src/errors.js';
import { MANIFEST_NAME } from '../../src/hub/index.js';
import { localFolderFor, resolveModelFolder as resolveFolder } from '../../src/hub/model-source.js';
import { startServer } from '../../src/server.js';
import { forgedModel } from '../support/forged-model.js';
import { closedPort, startLoopbackHub, type LoopbackHub } from './loopback-hub.js';

const REPO = 'loopback-org/tiny-reranker';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

/** Publishes every file of a local model folder under the repo, as the hub lays it out. */
async function publishFolder(hub: LoopbackHub, repoId: string, dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const paths: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/');
    hub.addFile(repoId, 'main', path, await readFile(join(dir, path)));
    paths.push(path);
  }
  return paths.sort();
}

const resolveModelFolder = (config: Config, log: (msg: string) => void): Promise<string> => resolveFolder({ model: config.rerankers[0]?.source ?? '', onnxFile: config.rerankers[0]?.onnxFile }, config.hub, log);

function configFor(endpoint: string, modelsDir: string, model = REPO): Config {
  return buildConfig({ model, modelsDir, hfEndpoint: endpoint, host: '127.0.0.1', port: '0', embeddingModel: 'none', store: 'none' });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

/** The offline advice the issue asks for: each route an operator of an air-gapped host can take. */
function expectOfflineAdvice(message: string): void {
  expect(message).toContain('on a connected machine and copy');
  expect(message).toMatch(/mount a model folder/);
  expect(message).toContain('--model DIR');
}

describe('resolveModelFolder with a loopback server standing in for the unreachable Hugging Face hub', () => {
  let hub: LoopbackHub;
  let modelsDir: string;
  let published: string[];

  beforeEach(async () => {
    hub = await startLoopbackHub();
    published = await publishFolder(hub, REPO, await forgedModel());
    modelsDir = await mkdtemp(join(tmpdir(), 'model-source-'));
  });

  afterEach(async () => {
    await hub.stop();
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('pulls a repo id absent from --models-dir from the loopback hub, then serves it', async () => {
    const config = configFor(hub.endpoint, modelsDir);
    const logs: string[] = [];
    const dir = await resolveModelFolder(config, (m) => logs.push(m));

    expect(dir).toBe(localFolderFor(REPO, modelsDir));
    expect(dir).toBe(join(modelsDir, 'loopback-org', 'tiny-reranker'));
    expect(existsSync(join(dir, MANIFEST_NAME))).toBe(true);
    expect(published).toContain('onnx/model.onnx');
    for (const path of published) expect(existsSync(join(dir, path)), path).toBe(true);
    expect(hub.requests.some((r) => r.method === 'GET' && r.server === 'cdn')).toBe(true);
    expect(logs.some((m) => m.includes(hub.endpoint))).toBe(true);

    const server = await startServer({ ...config, rerankers: [{ ...(config.rerankers[0] as Config['rerankers'][0]), source: dir }] }, { logger: pino({ level: 'silent' }) });
    try {
      await server.ready;
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const res = await fetch(`${server.url}/v2/rerank`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'capital of france', documents: ['Paris is the capital of France.', 'Bananas are yellow.'] }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { results: { index: number }[] };
      expect(body.results.map((r) => r.index).sort()).toEqual([0, 1]);
    } finally {
      await server.close();
    }
  });

  it('makes no request to the loopback hub on a second start, and needs none at all', async () => {
    const first = await resolveModelFolder(configFor(hub.endpoint, modelsDir), () => {});
    hub.resetCounters();

    const second = await resolveModelFolder(configFor(hub.endpoint, modelsDir), () => {});
    expect(second).toBe(first);
    expect(hub.requests).toEqual([]);

    // The same start with the hub gone: the manifest-verified folder is enough.
    const gone = `http://127.0.0.1:${await closedPort()}`;
    expect(await resolveModelFolder(configFor(gone, modelsDir), () => {})).toBe(first);
  });

  it('fails with a ModelLoadError saying what to do when the hub (a closed loopback port) is unreachable and no model is here', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const err = await rejection(resolveModelFolder(configFor(endpoint, modelsDir), () => {}));

    expect(err).toBeInstanceOf(ModelLoadError);
    const { message, path } = err as ModelLoadError;
    expect(path).toBe(localFolderFor(REPO, modelsDir));
    expect(message).toContain(REPO);
    expect(message).toContain('HUB_UNREACHABLE');
    expect(message).toContain('ECONNREFUSED');
    expectOfflineAdvice(message);
    expect(existsSync(join(path, MANIFEST_NAME))).toBe(false);
  });

  it('does not give offline advice when the loopback hub answers that the repo does not exist', async () => {
    const err = await rejection(resolveModelFolder(configFor(hub.endpoint, modelsDir, 'nobody/no-such-model'), () => {}));

    expect(err).toBeInstanceOf(ModelLoadError);
    const { message } = err as ModelLoadError;
    expect(message).toContain('HUB_NOT_FOUND');
    expect(message).toContain('Check the repository id');
    expect(message).not.toContain('connected machine');
    expect(message).toContain('--model DIR');
  });

  it('uses a complete folder copied in by hand (no pull manifest) without asking the loopback hub', async () => {
    const dir = await resolveModelFolder(configFor(hub.endpoint, modelsDir), () => {});
    await rm(join(dir, MANIFEST_NAME));
    hub.resetCounters();

    expect(await resolveModelFolder(configFor(hub.endpoint, modelsDir), () => {})).toBe(dir);
    expect(hub.requests).toEqual([]);
  });
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runCli(args: string[]): Promise<CliRun> {
  // The child must see only our flags, not settings a developer or CI exported for the service.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const setting of Object.values(SETTINGS)) delete env[setting.env];
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('`reranker serve` when a closed loopback port stands in for an unreachable hub', () => {
  let modelsDir: string;

  beforeEach(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'model-source-cli-'));
  });

  afterEach(async () => {
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('exits 1 quickly with the offline advice on stderr and no stack trace', async () => {
    expect(existsSync(CLI), `${CLI} is missing; run \`npm run build\` first`).toBe(true);
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const run = await runCli(['serve', '--hf-endpoint', endpoint, '--models-dir', modelsDir, '--port', '0', '--log-level', 'warn']);

    expect(run.code, run.stderr).toBe(1);
    expect(run.ms).toBeLessThan(15_000);
    expect(run.stderr).toMatch(/^reranker: Cannot load model at /);
    expect(run.stderr).toContain(SETTINGS.model.fallback);
    expect(run.stderr).toContain('ECONNREFUSED');
    expectOfflineAdvice(run.stderr);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
