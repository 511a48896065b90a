import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildConfig, SETTINGS } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { forgedModel } from '../support/forged-model.js';
import { closedPort } from '../hub/loopback-hub.js';
import { composeDefault, DEFAULT_PORT, dockerStages, isSettingEnv, readText, repoPath, servedGetRoutes, type DockerStep } from './deploy-files.js';

const stages = dockerStages(readText('Dockerfile'));
const build = stages[0] ?? [];
const runtime = stages.at(-1) ?? [];
const args = (stage: DockerStep[], op: string): string[] => stage.filter((s) => s.op === op).map((s) => s.args);
const only = (stage: DockerStep[], op: string): string => {
  const found = args(stage, op);
  expect(found, `one ${op} in the stage`).toHaveLength(1);
  return found[0] ?? '';
};
/** RUN flags (--mount=...) shape the build sandbox; the command is what matters here. */
const runCommands = (stage: DockerStep[]): string[] => args(stage, 'RUN').map((a) => a.replace(/^(--\S+\s+)+/, ''));
const healthcheckArgv = (): string[] => {
  const match = /\bCMD\s+(\[.*\])\s*$/.exec(only(runtime, 'HEALTHCHECK'));
  expect(match, 'HEALTHCHECK uses the exec form CMD ["..."]').not.toBeNull();
  return JSON.parse(match?.[1] ?? '[]') as string[];
};
/** The runtime stage's ENV, name to unexpanded value. */
const runtimeEnv = (): Map<string, string> => {
  const env = new Map<string, string>();
  for (const line of args(runtime, 'ENV')) for (const [, k = '', v = ''] of line.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env.set(k, v);
  return env;
};
/** Sources the runtime stage copies from the build context (not from another stage). */
const contextCopies = (): string[] =>
  args(runtime, 'COPY')
    .filter((a) => !a.startsWith('--from'))
    .flatMap((a) => a.split(/\s+/).slice(0, -1));

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [cmd = '', ...rest] = argv;
  return new Promise((resolve) => {
    execFile(cmd === 'node' ? process.execPath : cmd, rest, { env: { ...process.env, ...env }, timeout: 10_000 }, (err) => {
      resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : -1);
    });
  });
}

describe('Dockerfile', () => {
  // Issue 12: Node 20 reached end of life on 2026-04-30; the image moved to a maintained LTS. Issue 24: engines
  // follow what the production dependencies need (22), and CI runs the tests on the image's Node (24).
  it('has a build stage and a runtime stage, both on the same maintained Node LTS slim image, the one CI tests on', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const images = stages.map((stage) => /^(node:(\d+)-slim)(\s+AS\s+\S+)?$/i.exec(stage[0]?.args ?? ''));
    for (const m of images) expect(m, 'FROM node:<major>-slim').not.toBeNull();
    expect(new Set(images.map((m) => m?.[1])).size).toBe(1);
    const major = Number(images[0]?.[2]);
    // LTS lines are the even majors; 24 is the oldest one maintained after Node 20's end of life.
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(24);
    const pkg = JSON.parse(readText('package.json')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('>=22');
    expect(readText('.ci/run')).toMatch(new RegExp(`^NODE_VERSION=${major}\\.\\d+\\.\\d+$`, 'm'));
    const buildName = /\s+AS\s+(\S+)$/i.exec(build[0]?.args ?? '')?.[1];
    expect(buildName).toBeDefined();
    expect(args(runtime, 'COPY').some((a) => a.startsWith(`--from=${buildName} `) && a.includes('/dist'))).toBe(true);
  });

  it('builds with dev dependencies and installs only production ones at run time, with no install scripts', () => {
    const buildRuns = runCommands(build);
    expect(buildRuns.some((r) => /^npm ci\b/.test(r) && !r.includes('--omit=dev'))).toBe(true);
    expect(buildRuns).toContain('npm run build');
    const installs = runCommands(runtime).filter((r) => /\bnpm ci\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci --omit=dev --ignore-scripts\b/);
    expect(runCommands(runtime).some((r) => r.includes('npm run build'))).toBe(false);
  });

  it('runs as a numeric non-root user', () => {
    const user = only(runtime, 'USER');
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(user.split(':')[0]).not.toBe('0');
  });

  it('exposes the default port and starts `serve` from dist/cli.js, the package bin', () => {
    expect(Number(only(runtime, 'EXPOSE'))).toBe(DEFAULT_PORT);
    expect(JSON.parse(only(runtime, 'CMD'))).toEqual(['node', 'dist/cli.js', 'serve']);
    const pkg = JSON.parse(readText('package.json')) as { bin: Record<string, string> };
    expect(pkg.bin['reranker']).toBe('dist/cli.js');
  });

  it('sets only env vars the service reads, with the model folders under /models and the service\'s defaults', () => {
    const env = runtimeEnv();
    for (const key of env.keys()) expect(isSettingEnv(key), key).toBe(true);
    expect(env.get('MODELS_DIR')).toBe('/models');
    expect(env.get('MODEL')).toBe(`\${MODEL_ID:-${SETTINGS.model.fallback}}`);
    expect(env.get('EMBEDDING_MODEL')).toBe(`\${EMBEDDING_MODEL_ID:-${SETTINGS.embeddingModel.fallback}}`);
    expect(args(runtime, 'ARG')).toEqual(expect.arrayContaining(['MODEL_ID=', 'EMBEDDING_MODEL_ID=']));
  });

  it('bakes models only when asked: the reranker with MODEL_ID, the embedder with EMBEDDING_MODEL_ID or alongside MODEL_ID, never `none`', async () => {
    const pulls = runCommands(runtime).filter((r) => r.includes('dist/cli.js pull'));
    expect(pulls).toHaveLength(2);
    const baked = async (buildArgs: Record<string, string>): Promise<string[]> => {
      // The build args, then ENV as Docker expands it, then the RUN lines with the pull echoed instead of run.
      const env: Record<string, string> = { MODEL_ID: '', EMBEDDING_MODEL_ID: '', ...buildArgs };
      for (const [k, v] of runtimeEnv()) env[k] = composeDefault(v, env);
      const script = pulls.map((r) => r.replaceAll('node dist/cli.js pull', 'echo')).join('\n');
      const out = await new Promise<string>((resolve, reject) =>
        execFile('sh', ['-c', script], { env: { PATH: process.env['PATH'] ?? '', ...env } }, (err, stdout) => (err === null ? resolve(stdout) : reject(err))),
      );
      return out.split('\n').filter((l) => l !== '');
    };
    const embedder = SETTINGS.embeddingModel.fallback;
    expect(await baked({})).toEqual([]);
    expect(await baked({ MODEL_ID: 'org/cross' })).toEqual(['org/cross', embedder]);
    expect(await baked({ MODEL_ID: 'org/cross', EMBEDDING_MODEL_ID: 'org/embed' })).toEqual(['org/cross', 'org/embed']);
    expect(await baked({ MODEL_ID: 'org/cross', EMBEDDING_MODEL_ID: 'none' })).toEqual(['org/cross']);
    expect(await baked({ EMBEDDING_MODEL_ID: 'org/embed' })).toEqual(['org/embed']);
    // `none` reaches the service as EMBEDDING_MODEL=none, which turns embedding off.
    expect(buildConfig({ embeddingModel: 'none' }).embedder.models).toEqual([]);
  });

  it('needs no `# syntax=` line: RUN --mount is in the Dockerfile frontend that BuildKit bundles', () => {
    expect(readText('Dockerfile')).not.toMatch(/^#\s*syntax\s*=/im);
    // Heredocs are what would need a newer frontend than the bundled one; none is used.
    expect(readText('Dockerfile')).not.toMatch(/<<-?\s*['"]?[A-Z]+['"]?\s*$/m);
  });

  it('fetches ONNX Runtime CUDA binaries only when ORT_CUDA=1, with the flag onnxruntime-node reads', () => {
    expect(args(runtime, 'ARG')).toContain('ORT_CUDA=0');
    const cuda = runCommands(runtime).filter((r) => r.includes('ORT_CUDA'));
    expect(cuda).toHaveLength(1);
    expect(cuda[0]).toMatch(/^if \[ "\$ORT_CUDA" = "1" \]; then ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js; fi$/);
    // If an onnxruntime-node upgrade renames the flag, this is where it shows.
    const installJs = readFileSync(repoPath('node_modules/onnxruntime-node/script/install-utils.js'), 'utf8');
    expect(installJs).toContain('process.env.ONNXRUNTIME_NODE_INSTALL');
    expect(readFileSync(repoPath('node_modules/onnxruntime-node/script/install-metadata.js'), 'utf8')).toContain("'linux/x64': ['cuda12']");
  });

  it('has a HEALTHCHECK on /health, a route the app serves', async () => {
    const argv = healthcheckArgv();
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    expect(argv[2]).toContain('/health');
    expect((await servedGetRoutes(['/health'])).get('/health')).toBe(true);
  });

  it('HEALTHCHECK command exits 0 on a ready server and 1 when nothing listens', async () => {
    const config = buildConfig({ model: await forgedModel(), embeddingModel: 'none', store: 'none', host: '127.0.0.1', port: '0' });
    const server = await startServer(config, { logger: pino({ level: 'silent' }) });
    try {
      await server.ready;
      const port = new URL(server.url).port;
      expect(await run(healthcheckArgv(), { PORT: port })).toBe(0);
    } finally {
      await server.close();
    }
    expect(await run(healthcheckArgv(), { PORT: String(await closedPort()) })).toBe(1);
  });

  it('copies from the context only files that .dockerignore lets through and the packed package carries', () => {
    const ignored = readText('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const required of ['node_modules', 'dist', 'models']) expect(ignored).toContain(required);
    const sources = [...args(build, 'COPY'), ...args(runtime, 'COPY')]
      .filter((a) => !a.startsWith('--from'))
      .flatMap((a) => a.split(/\s+/).slice(0, -1));
    for (const src of sources) {
      expect(existsSync(repoPath(src)), `${src} exists`).toBe(true);
      expect(ignored.some((pattern) => src === pattern || src.startsWith(`${pattern}/`)), `${src} is not in .dockerignore`).toBe(false);
    }
    // npm pack leaves out the lock; docker/replay-image.sh copies it in itself.
    const files = (JSON.parse(readText('package.json')) as { files: string[] }).files;
    for (const src of contextCopies().filter((s) => !['package.json', 'package-lock.json'].includes(s))) {
      expect(files.some((f) => f.replace(/\/$/, '') === src), `package.json "files" has ${src}`).toBe(true);
    }
    expect(files).toContain('dist/');
  });
});

describe('docker/replay-image.sh stays in step with the Dockerfile', () => {
  const script = readText('docker/replay-image.sh');

  it('reads the install command, CMD and HEALTHCHECK from the Dockerfile instead of repeating them', () => {
    expect(script).toContain('DOCKERFILE="$ROOT/Dockerfile"');
    expect(script).not.toMatch(/npm ci --omit/);
    expect(script).not.toContain('dist/cli.js serve');
    for (const field of ['install', 'cmd', 'healthcheck']) expect(script).toContain(`${field}:`);
  });

  it('says which Node it ran and, read from the FROM line, which one the image runs', () => {
    expect(script).toContain('node --version');
    expect(script).toMatch(/op\.toUpperCase\(\) === 'FROM'/);
    expect(script).toContain('$(field from)');
    expect(script).toContain('the image uses another Node');
  });

  it('runs in CI after the tests', () => {
    const ci = readText('.ci/run');
    const test = ci.indexOf('\nnpm test');
    const replay = ci.indexOf('\nbash docker/replay-image.sh');
    expect(test).toBeGreaterThan(-1);
    expect(replay).toBeGreaterThan(test);
  });
});
