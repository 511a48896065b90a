import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { architectureOf } from './flops.js';
import { DEFAULT_MODEL_DIR } from './options.js';
import { runService, type ServiceUnderTest } from './service-contender.js';
import { pairsPerSecond } from './stats.js';
import { prepareWorkload } from './workload.js';

/**
 * Two builds of the service side by side on one machine: `node dist-bench/bench/compare.js
 * --baseline /path/to/other/checkout`. Each round starts one build, runs the rerank workload at the
 * given concurrency, stops it, then the other; rounds alternate which goes first, so a noisy
 * neighbour hurts both alike. Prints pairs/s per round and the ratio of medians.
 */
async function startBuild(root: string, model: string, onnxFile: string): Promise<ServiceUnderTest> {
  // --embedding-model and --store exist only in newer builds; an older one is started without them.
  const modern = path.resolve(root) === path.resolve('.') || (await supports(root, '--embedding-model'));
  const extra = modern ? ['--embedding-model', 'none', '--store', 'none'] : [];
  // A closed loop of 8 x 100 pairs keeps ~800 waiting by design; on a slow CPU, at the cold pace of the first
  // batches, that reads as more than the default 15 s of work and would be refused (as in bench/service-contender.ts).
  const queue = (await supports(root, '--max-queue-ms')) ? ['--max-queue-ms', '120000'] : [];
  const args = [path.join(root, 'dist/cli.js'), 'serve', '--model', model, '--onnx-file', onnxFile, '--host', '127.0.0.1', '--port', '0', '--cache-max-bytes', '0', '--log-level', 'info', ...extra, ...queue];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { url?: unknown };
        if (typeof entry.url === 'string') resolve(entry.url);
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`${root} exited ${code}`)));
  });
  for (let i = 0; i < 1200; i++) {
    if ((await fetch(`${url}/health`).catch(() => undefined))?.ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function supports(root: string, flag: string): Promise<boolean> {
  const child = spawn(process.execPath, [path.join(root, 'dist/cli.js'), 'serve', '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await once(child, 'exit');
  return out.includes(flag);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const o = new Command('compare')
    .requiredOption('--baseline <dir>', 'a checkout of another version, built (npm ci && npm run build)')
    .option('--model <dir>', 'model folder', DEFAULT_MODEL_DIR)
    .option('--onnx-file <path>', 'ONNX file inside it', 'onnx/model.onnx')
    .option('--queries <n>', 'queries of 100 documents per round', '16')
    .option('--rounds <n>', 'rounds per build', '3')
    .option('--concurrency <n>', 'clients', '8')
    .parse(process.argv)
    .opts<{ baseline: string; model: string; onnxFile: string; queries: string; rounds: string; concurrency: string }>();
  const model = path.resolve(o.model);
  const work = prepareWorkload(model, Number(o.queries), 1);
  const arch = architectureOf(work.spec.folder.config);
  const builds = { this: '.', baseline: o.baseline };
  const rates: Record<keyof typeof builds, number[]> = { this: [], baseline: [] };
  for (let round = 0; round < Number(o.rounds); round++) {
    const order: (keyof typeof builds)[] = round % 2 === 0 ? ['baseline', 'this'] : ['this', 'baseline'];
    for (const name of order) {
      const service = await startBuild(builds[name], model, o.onnxFile);
      try {
        const r = await runService(service, work, Number(o.concurrency), 'fp32', arch);
        rates[name].push(pairsPerSecond(r));
        process.stderr.write(`[compare] round ${round + 1} ${name}: ${pairsPerSecond(r).toFixed(1)} pairs/s\n`);
      } finally {
        await service.stop();
      }
    }
  }
  const ratio = median(rates.this) / median(rates.baseline);
  process.stdout.write(
    `${o.onnxFile}, concurrency ${o.concurrency}, ${o.queries} x 100 pairs per round: this build ${rates.this.map((x) => x.toFixed(1)).join(' / ')} pairs/s, baseline ${rates.baseline.map((x) => x.toFixed(1)).join(' / ')}; median ratio ${ratio.toFixed(3)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`compare failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
