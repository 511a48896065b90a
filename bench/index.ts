import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { forgeModel } from '../src/tools/forge/index.js';
import { quantizeOnnxFile } from '../src/graph/quantize/quantize-file.js';
import { checkScores } from '../src/tools/quantize/score-check.js';
import { architectureOf } from './flops.js';
import { describeMachine, theoreticalPeak } from './machine.js';
import { DECODER_MARKERS, FAIRNESS_MARKERS, INGEST_MARKERS, LEXICAL_MARKERS, renderMarkdown, SCALE_MARKERS, replaceSection, SOAK_MARKERS, type BenchReport } from './markdown.js';
import { renderSoak, runSoak } from './soak.js';
import { renderDecoder, runDecoderBench } from './decoder.js';
import { renderFairness, runFairnessBench } from './fairness.js';
import { renderLexical, runLexicalBench } from './lexical.js';
import { renderIngest, runIngestBench } from './ingest-bench.js';
import { runScaleBench, SCALE_PHASES, type ScalePhase } from './scale.js';
import { keepScaleRun, renderScale } from './scale-render.js';
import { renderMemory, runMemoryBench } from './memory.js';
import { DEFAULT_EMBEDDER_DIR, DEFAULT_MODEL_DIR, OWN_SECTIONS, parseBenchOptions } from './options.js';
import { renderEmbeddings, runEmbeddingBench } from './embeddings.js';
import { postgresAnswers, renderSearch, runSearchBench, type SearchReport } from './search.js';
import { benchCharts, writeCharts } from './bench-charts.js';
import { runRewriteBench } from './rewrites.js';
import { runSlowClientsBench, SLOW_CLIENT_DEFAULTS } from './slow-clients.js';
import { runPlainOrt } from './ort-contender.js';
import { mergeCeilings, measureCeiling } from './roofline.js';
import { availableMemory, poolShape, WORKER_BYTES_PER_MODEL_BYTE } from '../src/engine/pool-shape.js';
import { planGraph } from '../src/graph/index.js';
import { crossEncoder } from '../src/models/kinds/index.js';
import { runService, startService } from './service-contender.js';
import { pairsPerSecond, type RunResult } from './stats.js';
import { runTransformersJs } from './transformers-contender.js';
import { renderOverload, runOverload } from './overload.js';
import { DOCS_PER_QUERY, prepareWorkload } from './workload.js';

const FP32_FILE = 'onnx/model.onnx';
const INT8_FILE = 'onnx/model_quantized.onnx';
const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

async function ensureEmbedder(dir: string): Promise<void> {
  if (existsSync(path.join(dir, FP32_FILE))) return;
  if (path.resolve(dir) !== path.resolve(DEFAULT_EMBEDDER_DIR)) throw new Error(`${dir} has no ${FP32_FILE}`);
  log(`forging embed-minilm-l6 into ${dir}`);
  await forgeModel({ out: dir, preset: 'embed-minilm-l6' });
}

async function ensureModel(dir: string): Promise<void> {
  if (!existsSync(path.join(dir, FP32_FILE))) {
    if (path.resolve(dir) !== path.resolve(DEFAULT_MODEL_DIR)) throw new Error(`${dir} has no ${FP32_FILE}`);
    log(`forging minilm-l6 into ${dir}`);
    await forgeModel({ out: dir, preset: 'minilm-l6' });
  }
  const fp32 = path.join(dir, FP32_FILE);
  const int8 = path.join(dir, INT8_FILE);
  if (!existsSync(int8) || statSync(int8).mtimeMs < statSync(fp32).mtimeMs) {
    log(`quantizing ${fp32}`);
    await quantizeOnnxFile(fp32, int8);
  }
}

/** A section with markdown of its own: printed, and written between its markers with --write. */
async function writeOwnSection(opts: ReturnType<typeof parseBenchOptions>, markers: { start: string; end: string }, lines: string[], what: string): Promise<void> {
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const markdown = [markers.start, `Run ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} on ${describeMachine()} with \`${command}\`.`, '', ...lines, markers.end, ''].join('\n');
  process.stdout.write(markdown);
  if (opts.write !== undefined) {
    const existing = existsSync(opts.write) ? await readFile(opts.write, 'utf8') : '';
    await writeFile(opts.write, replaceSection(existing, markdown, markers));
    log(`wrote the ${what} into ${opts.write}`);
  }
}

/** The soak runs alone (it saturates the machine for its whole length) and has a section of its own in the markdown. */
async function soak(opts: ReturnType<typeof parseBenchOptions>, modelDir: string): Promise<void> {
  const embedderDir = path.resolve(opts.embedder);
  await ensureEmbedder(embedderDir);
  const postgresUrl = opts.storeUrl !== undefined && opts.soakStore === 'postgres' && (await postgresAnswers(opts.storeUrl)) ? opts.storeUrl : undefined;
  if (opts.soakStore === 'postgres' && postgresUrl === undefined) throw new Error(`--soak-store postgres: no Postgres with pgvector answers at ${opts.storeUrl ?? '(none)'}`);
  const report = await runSoak({ rerankerDir: modelDir, embedderDir, minutes: opts.soakMinutes, clients: opts.soakClients, postgresUrl, seed: opts.seed, cacheMb: opts.soakCacheMb, log });
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const markdown = [SOAK_MARKERS.start, `Run ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} on ${describeMachine()} with \`${command}\`.`, '', ...renderSoak(report), SOAK_MARKERS.end, ''].join('\n');
  process.stdout.write(markdown);
  if (opts.write !== undefined) {
    const existing = existsSync(opts.write) ? await readFile(opts.write, 'utf8') : '';
    await writeFile(opts.write, replaceSection(existing, markdown, SOAK_MARKERS));
    log(`wrote the soak into ${opts.write}`);
  }
}

async function main(): Promise<void> {
  const opts = parseBenchOptions(process.argv);
  if (!existsSync('dist/cli.js')) throw new Error('dist/cli.js is missing; run `npm run build` first (npm run bench does)');
  const modelDir = path.resolve(opts.model);
  await ensureModel(modelDir);
  if (opts.sections.includes('soak')) {
    await soak(opts, modelDir);
  }
  if (opts.sections.includes('decoder')) {
    const report = await runDecoderBench({ dir: path.resolve('models/bench-qwen3-0.6b'), wordsFrom: modelDir, pairs: 20, rounds: 1, log });
    await writeOwnSection(opts, DECODER_MARKERS, renderDecoder(report), 'decoder reranker');
  }
  if (opts.sections.includes('fairness')) {
    const report = await runFairnessBench({ minilmDir: modelDir, decoderDir: path.resolve('models/bench-qwen3-0.6b'), wordsFrom: modelDir, seconds: opts.quick ? 20 : 60, log });
    await writeOwnSection(opts, FAIRNESS_MARKERS, renderFairness(report), 'fair sharing');
  }
  /** The Postgres of the sections that measure it alone (--store-url). */
  const postgres = (section: string): string => {
    if (opts.storeUrl === undefined) throw new Error(`the ${section} section runs on Postgres with pgvector; give it with --store-url`);
    return opts.storeUrl;
  };
  if (opts.sections.includes('lexical')) {
    const url = postgres('lexical');
    const documents = Number(process.env['LEXICAL_DOCUMENTS'] ?? (opts.quick ? 20_000 : 100_000));
    const report = await runLexicalBench({ url, modelDir, documents, queries: 200, reuse: process.env['LEXICAL_REUSE'] === '1', log });
    await writeOwnSection(opts, LEXICAL_MARKERS, renderLexical(report), 'lexical leg');
  }
  if (opts.sections.includes('ingest')) {
    const url = postgres('ingest');
    const embedderDir = path.resolve(opts.embedder);
    await ensureEmbedder(embedderDir);
    const sizes = { readyDocuments: opts.quick ? 4_000 : 20_000, textDocuments: opts.quick ? 1_000 : 4_000 };
    const runs = await runIngestBench({ url, rerankerDir: modelDir, embedderDir, ...sizes, log });
    await writeOwnSection(opts, INGEST_MARKERS, renderIngest(runs, sizes), 'ingest runs');
  }
  if (opts.sections.includes('scale')) {
    // SCALE_STORE=pglite runs it on the embedded store; SCALE_PHASES picks parts (without load it queries what an earlier run loaded).
    const pglite = process.env['SCALE_STORE'] === 'pglite';
    const documents = Number(process.env['SCALE_DOCUMENTS'] ?? (opts.quick ? 20_000 : pglite ? 100_000 : 1_000_000));
    const phases = new Set((process.env['SCALE_PHASES'] ?? SCALE_PHASES.join(',')).split(',') as ScalePhase[]);
    const unknown = [...phases].filter((p) => !SCALE_PHASES.includes(p));
    if (unknown.length > 0) throw new Error(`SCALE_PHASES: unknown ${unknown.join(', ')} (of ${SCALE_PHASES.join(', ')})`);
    const tsRankQueries = Number(process.env['SCALE_TSRANK_QUERIES'] ?? 200);
    const run = await runScaleBench({ storeUrl: pglite ? undefined : postgres('scale'), rerankerDir: modelDir, modelDir, documents, queries: 200, tsRankQueries, phases, indexMemory: process.env['SCALE_INDEX_MEMORY'] ?? '4GB', log });
    await writeOwnSection(opts, SCALE_MARKERS, renderScale(keepScaleRun(path.resolve('bench/scale-runs.json'), run)), 'scale runs');
  }
  if (opts.sections.includes('memory')) {
    const embedderDir = path.resolve(opts.embedder);
    await ensureEmbedder(embedderDir);
    const lines = renderMemory(await runMemoryBench({ rerankerDir: modelDir, embedderDir, log }));
    process.stdout.write(`### Where the memory goes (${describeMachine()})\n\n${lines.join('\n')}\n\n`);
  }
  // The sections above write markdown of their own; the shared report below runs only for the others.
  if (opts.sections.every((s) => OWN_SECTIONS.includes(s))) return;
  const work = prepareWorkload(modelDir, opts.queries, opts.seed);
  const arch = architectureOf(work.spec.folder.config);
  log(`${work.queries.length} queries x ${DOCS_PER_QUERY} documents, ${work.realTokens} tokens`);

  const has = (section: (typeof opts.sections)[number]): boolean => opts.sections.includes(section);
  // The ceiling is timed before and after the contenders and the better of the two kept: a busy
  // moment on a shared machine can only lower it.
  const ceilingBefore = has('rerank') ? (log('timing ONNX Runtime GEMMs'), await measureCeiling(arch, { quick: opts.quick, log })) : undefined;
  const shape = poolShape({ workers: undefined, threads: undefined }, undefined, { perWorkerBytes: statSync(path.join(modelDir, FP32_FILE)).size * WORKER_BYTES_PER_MODEL_BYTE, availableBytes: availableMemory() });
  const pool = `${shape.workers} workers x ${shape.threadsPerWorker} intra-op thread${shape.threadsPerWorker === 1 ? '' : 's'} (the default for this machine)`;
  log(`service pool: ${pool}`);
  const firstTokenHead = (file: string): boolean => planGraph(path.join(modelDir, file), crossEncoder.rewrites).rewrites.includes('first-token-head');

  // Each contender runs fp32 then int8 back to back, so a ratio never spans a long stretch of a noisy machine.
  const runs: BenchReport['runs'] = [];
  const pair = async (name: string, run: (dtype: RunResult['dtype'], file: string) => Promise<RunResult>): Promise<void> => {
    log(`${name}: fp32`);
    const fp32 = await run('fp32', FP32_FILE);
    log(`${name}: int8`);
    const int8 = await run('int8', INT8_FILE);
    log(`${name}: ${pairsPerSecond(fp32).toFixed(0)} -> ${pairsPerSecond(int8).toFixed(0)} pairs/s`);
    runs.push({ fp32, int8 });
  };
  if (has('rerank')) {
    for (const concurrency of [1, 8]) {
      await pair(`service c${concurrency}`, async (dtype, file) => {
        const service = await startService(modelDir, file);
        try {
          return await runService(service, work, concurrency, dtype, arch, { firstTokenHead: firstTokenHead(file) });
        } finally {
          await service.stop();
        }
      });
    }
    await pair('transformers.js', (dtype) => runTransformersJs(work, modelDir, dtype, arch));
    await pair('onnxruntime-node', (dtype, file) => runPlainOrt(work, path.join(modelDir, file), dtype, arch));
  }

  const ceilingAfter = has('rerank') ? (log('timing ONNX Runtime GEMMs again'), await measureCeiling(arch, { quick: opts.quick, log })) : undefined;
  const ceiling = ceilingBefore !== undefined && ceilingAfter !== undefined ? mergeCeilings(ceilingBefore, ceilingAfter) : undefined;

  let rewrites: string[] | undefined;
  if (has('rewrites')) {
    log('graph rewrites, fp32 and int8');
    rewrites = await runRewriteBench({ modelDir, files: [FP32_FILE, INT8_FILE], queries: opts.quick ? 2 : 4, rounds: opts.quick ? 3 : 6 });
  }

  let overload: string[] | undefined;
  if (has('overload')) {
    log('saturation and overload');
    overload = renderOverload(await runOverload(modelDir, FP32_FILE, work, opts.quick ? 5 : 10));
  }

  let accuracy;
  if (has('rerank')) {
    log('int8 accuracy check');
    accuracy = await checkScores({ dir: modelDir, referenceFile: FP32_FILE, candidateFile: INT8_FILE, queries: opts.accuracyQueries, seed: opts.seed });
  }

  let embeddings: string[] | undefined;
  if (has('embeddings')) {
    const embedderDir = path.resolve(opts.embedder);
    await ensureEmbedder(embedderDir);
    log('embeddings');
    embeddings = renderEmbeddings(await runEmbeddingBench({ rerankerDir: modelDir, embedderDir, requests: opts.quick ? 8 : 24, seed: opts.seed, log }));
  }

  let search: string[] | undefined;
  let searchReport: SearchReport | undefined;
  if (has('search')) {
    const embedderDir = path.resolve(opts.embedder);
    await ensureEmbedder(embedderDir);
    const postgresUrl = opts.storeUrl !== undefined && (await postgresAnswers(opts.storeUrl)) ? opts.storeUrl : undefined;
    if (postgresUrl === undefined) log('search: no Postgres with pgvector answers; the embedded store only');
    log('search');
    searchReport = await runSearchBench({ rerankerDir: modelDir, embedderDir, docs: opts.searchDocs, queries: opts.quick ? 10 : 40, seed: opts.seed, postgresUrl, log });
    search = renderSearch(searchReport);
  }

  let slowClients: string[] | undefined;
  if (has('slow-clients')) {
    log('slow clients');
    const o = opts.quick ? { ...SLOW_CLIENT_DEFAULTS, slow: 50, seconds: 8, requests: 20 } : SLOW_CLIENT_DEFAULTS;
    slowClients = (await runSlowClientsBench(modelDir, o)).split('\n');
  }

  // Charts only with --write: they are files next to the markdown they are linked from.
  const charts = opts.write === undefined ? undefined : await writeCharts(benchCharts({ runs, search: searchReport }), path.join(path.dirname(path.resolve(opts.write)), 'bench', 'charts'), path.dirname(path.resolve(opts.write)));

  const meanTokens = work.realTokens / work.pairs;
  const markdown = renderMarkdown({
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: describeMachine(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    modelDir: modelDir.startsWith(process.cwd() + path.sep) ? path.relative(process.cwd(), modelDir) : modelDir,
    architecture: `${arch.layers} layers, hidden ${arch.hidden}, intermediate ${arch.intermediate}`,
    workload: `${work.queries.length} queries x ${DOCS_PER_QUERY} documents (seed ${opts.seed}), ${work.pairs} pairs, ${meanTokens.toFixed(1)} tokens per pair on average`,
    roofline: ceiling === undefined ? undefined : { ceiling, peak: theoreticalPeak() },
    pool,
    runs,
    accuracy,
    overload,
    embeddings,
    search,
    rewrites,
    slowClients,
    charts,
  });
  process.stdout.write(markdown);
  if (opts.write !== undefined) {
    const existing = existsSync(opts.write) ? await readFile(opts.write, 'utf8') : '';
    await writeFile(opts.write, replaceSection(existing, markdown));
    log(`wrote the run into ${opts.write}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
