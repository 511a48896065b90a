#!/usr/bin/env node
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { addSettings, buildConfig, type RawSettings } from './config.js';
import { ConfigError, ModelLoadError, NotReadyError } from './errors.js';
import { forgeModel, PRESETS, type ForgePresetName } from './tools/forge/index.js';
import { DECODER_PRESETS, forgeDecoder, isDecoderPresetName } from './tools/forge/decoder/index.js';
import { pullModel } from './hub/index.js';
import { localFolderFor, resolveModelFolder } from './hub/model-source.js';
import { chooseOnnxFile } from './models/precision.js';
import { cpuFeatures } from './runtime/cpu-features.js';
import { renderOpenapi } from './openapi-export.js';
import { runIngest } from './tools/ingest/ingest-command.js';
import { runExport, runImport } from './tools/snapshot/snapshot-command.js';
import { runOptimizeCommand } from './tools/optimize/command.js';
import { REWRITES } from './graph/rewrites/index.js';
import { runQuantizeCommand } from './tools/quantize/command.js';
import { handleSignals, startServer } from './server.js';
import { VERSION } from './version.js';

/**
 * Failures of a command are the operator's to fix: print what and how. Only programming errors
 * (TypeError and kin) keep their stack trace, for the bug report.
 */
function fail(err: unknown): never {
  const bug = err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || !(err instanceof Error);
  const text = err instanceof Error ? (bug ? (err.stack ?? err.message) : err.message) : String(err);
  process.stderr.write(`reranker: ${text}\n`);
  process.exit(1);
}

const program = new Command('reranker').version(VERSION).description('Self-hosted cross-encoder reranking service');

addSettings(program.command('serve', { isDefault: true }).description('serve the API (rerank, embeddings, search, collections) on a model folder or hub repo id')).action(async (raw: RawSettings) => {
  try {
    const settings = buildConfig(raw);
    const logger = pino({ level: settings.logLevel });
    const log = (msg: string): void => logger.info(msg);
    // Each reranker resolved to a folder (pulled when a repo id is missing) and its file chosen for its precision.
    const rerankers = [];
    for (const entry of settings.rerankers) {
      const dir = await resolveModelFolder({ model: entry.source, onnxFile: entry.onnxFile }, settings.hub, log);
      const chosen = await chooseOnnxFile(dir, entry.precision, entry.onnxFile, cpuFeatures(), log);
      log(`reranker${settings.rerankers.length > 1 ? ` ${entry.servedName ?? entry.source}` : ''} ONNX file: ${chosen.reason}`);
      rerankers.push({ ...entry, source: dir, onnxFile: chosen.onnxFile });
    }
    // Without an embedder the service still reranks; the embedding routes then say how to add one.
    let embedderProblem: string | undefined;
    const embedders = [];
    for (const entry of settings.embedder.models) {
      try {
        embedders.push({ ...entry, source: await resolveModelFolder({ model: entry.source, onnxFile: entry.onnxFile, flag: '--embedding-model' }, settings.hub, log) });
      } catch (err) {
        if (!(err instanceof ModelLoadError)) throw err;
        embedderProblem ??= err.message;
      }
    }
    const config = { ...settings, rerankers, embedder: { ...settings.embedder, models: embedders } };
    const server = await startServer(config, { logger, ...(embedderProblem === undefined ? {} : { embedderProblem }) });
    handleSignals(server, config, logger);
    await server.ready.catch(async (err: unknown) => {
      // A SIGTERM while the models loaded: the signal's shutdown drains and exits 0.
      if (err instanceof NotReadyError && err.code === 'SHUTTING_DOWN') return;
      await server.app.close();
      fail(err);
    });
  } catch (err) {
    fail(err);
  }
});

program
  .command('forge')
  .description('write a BERT or XLM-R cross-encoder, a sentence-transformers embedder (embed-* presets) or a Qwen3 decoder reranker (qwen3-reranker-* presets, the real Qwen tokenizer) with seeded weights in Hugging Face layout (test and benchmark fixture)')
  .requiredOption('--out <dir>', 'folder to write')
  .addOption(new Option('--preset <name>', 'model shape').choices([...Object.keys(PRESETS), ...Object.keys(DECODER_PRESETS)]).default('tiny'))
  .option('--seed <n>', 'weight seed', '42')
  .option('--num-labels <n>', 'classifier outputs', '1')
  .action(async (opts: { out: string; preset: string; seed: string; numLabels: string }) => {
    try {
      const started = Date.now();
      const result = isDecoderPresetName(opts.preset)
        ? await forgeDecoder({ out: opts.out, preset: opts.preset, seed: Number(opts.seed) })
        : await forgeModel({ out: opts.out, preset: opts.preset as ForgePresetName, seed: Number(opts.seed), numLabels: Number(opts.numLabels) });
      process.stdout.write(`forged ${opts.preset} (seed ${opts.seed}) into ${result.dir} in ${Date.now() - started} ms\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('quantize')
  .description('write a dynamic int8 copy of a model folder\'s fp32 ONNX file (MatMul weights int8, activations quantized per batch)')
  .requiredOption('--model <dir>', 'model folder')
  .option('--onnx-file <path>', 'fp32 ONNX file inside the folder (default onnx/model.onnx, then model.onnx)')
  .option('--out <path>', 'output inside the folder (default model_quantized.onnx next to the input)')
  .option('--min-dim <n>', 'keep MatMuls whose weight has fewer rows or columns than this in fp32 (classifiers)', '16')
  .option('--exclude <names...>', 'weight initializer or MatMul node names to keep in fp32')
  .option('--per-channel', 'one weight scale per output column instead of per tensor (measured no faster; see BENCHMARKS.md)')
  .option('--check', 'score a generated workload with both files and print how far int8 moves from fp32')
  .option('--check-queries <n>', 'queries of 100 documents in the --check workload', '20')
  .option('--threads <n>', 'ONNX Runtime intra-op threads for --check')
  .action(async (opts: { model: string; onnxFile?: string; out?: string; minDim: string; exclude?: string[]; perChannel?: boolean; check?: boolean; checkQueries: string; threads?: string }) => {
    try {
      await runQuantizeCommand(
        {
          model: opts.model,
          onnxFile: opts.onnxFile,
          out: opts.out,
          minDim: Number(opts.minDim),
          exclude: opts.exclude ?? [],
          perChannel: opts.perChannel === true,
          check: opts.check === true,
          checkQueries: Number(opts.checkQueries),
          threads: opts.threads === undefined ? undefined : Number(opts.threads),
        },
        (text) => process.stdout.write(text),
      );
    } catch (err) {
      fail(err);
    }
  });

program
  .command('optimize')
  .description('write a copy of a model folder\'s ONNX file with graph rewrites; --check / --measure try each against the unrewritten file first and keep only those within tolerance (and faster)')
  .requiredOption('--model <dir>', 'model folder (a cross-encoder, or a sentence-transformers embedder)')
  .option('--onnx-file <path>', 'ONNX file inside the folder (default onnx/model.onnx, then model.onnx)')
  .option('--out <path>', 'output inside the folder (default <input>_optimized.onnx, as quantize writes model_quantized.onnx)')
  .option('--rewrites <names...>', `rewrites to try: default (those on at load), all, or names (${REWRITES.map((r) => r.name).join(', ')})`, ['default'])
  .option('--check', 'compare each rewrite\'s outputs with the unrewritten graph on a generated workload (fp32: 1e-4; int8: today\'s int8 drift)')
  .option('--measure', 'also time each rewrite against the unrewritten graph, interleaved, and keep only the faster ones')
  .option('--queries <n>', 'queries of 100 documents in the generated workload', '4')
  .option('--rounds <n>', 'timing rounds over the workload with --measure', '6')
  .option('--threads <n>', 'ONNX Runtime intra-op threads (the service runs one per worker)', '1')
  .action(async (opts: { model: string; onnxFile?: string; out?: string; rewrites: string[]; check?: boolean; measure?: boolean; queries: string; rounds: string; threads: string }) => {
    try {
      await runOptimizeCommand(
        { model: opts.model, onnxFile: opts.onnxFile, out: opts.out, rewrites: opts.rewrites, check: opts.check === true, measure: opts.measure === true, queries: Number(opts.queries), rounds: Number(opts.rounds), threads: Number(opts.threads) },
        (text) => process.stdout.write(text),
      );
    } catch (err) {
      fail(err);
    }
  });

addSettings(
  program
    .command('pull')
    .description('download a model folder from the Hugging Face hub into --models-dir/<owner>/<name>')
    .argument('[repo]', 'hub repo id (default: --model)'),
  ['model', 'modelsDir', 'revision', 'hfEndpoint', 'hfToken', 'onnxFile'],
).action(async (repo: string | undefined, raw: RawSettings) => {
  try {
    const config = buildConfig(raw);
    const first = config.rerankers[0] as NonNullable<(typeof config.rerankers)[0]>;
    const repoId = repo ?? first.source;
    const dir = localFolderFor(repoId, config.hub.modelsDir);
    const result = await pullModel({
      repoId,
      destDir: dir,
      revision: config.hub.revision,
      endpoint: config.hub.endpoint,
      ...(first.onnxFile === undefined ? {} : { onnxFile: first.onnxFile }),
      ...(config.hub.token === undefined ? {} : { token: config.hub.token }),
      progress: process.stderr.isTTY,
      log: (msg) => process.stderr.write(`${msg}\n`),
    });
    const fetched = result.files.filter((f) => f.downloaded).length;
    process.stdout.write(`${repoId} is in ${result.dir} (${result.files.length} files, ${fetched} downloaded${result.network ? '' : ', verified offline'})\n`);
  } catch (err) {
    fail(err);
  }
});

addSettings(
  program
    .command('ingest')
    .description('upsert the documents of a .jsonl or .csv file into a collection, by id (a re-run replaces them), embedding their text')
    .argument('<file>', '.jsonl (one JSON object a line) or .csv (a header row) file')
    .requiredOption('--collection <name>', 'collection to write (created with the defaults when missing)')
    .option('--url <urls>', 'a running service to send the documents to (e.g. http://127.0.0.1:8080), or several replicas of one store, comma-separated, sent to in turn; without it the store is opened here, which needs the service stopped when it uses the embedded store')
    .option('--id-field <name>', 'field that holds the document id', 'id')
    .option('--text-field <name>', 'field that holds the document text; every other field becomes metadata', 'text')
    .option('--vector-field <name>', 'field that holds a ready vector (an array of numbers): stored as it is, the text is not embedded')
    .option('--batch <n>', 'documents per committed batch', '256')
    .option('--concurrency <n>', 'batches in flight at once (spread over the --url replicas)', '1')
    .option('--resume', 'skip the documents a previous, interrupted run committed (from its checkpoint file)')
    .option('--checkpoint <file>', 'the checkpoint file (default: beside the input, <file>.<collection>.ingest-checkpoint.json)')
    .option('--no-progress', 'no progress bar'),
  ['embeddingModel', 'embeddingOnnxFile', 'embeddingMaxLength', 'store', 'dataDir', 'storeTimeoutMs', 'storePoolSize', 'storeSchema', 'modelsDir', 'revision', 'hfEndpoint', 'hfToken', 'workers', 'threads', 'tokenizerThreads', 'maxBatchSize', 'maxBatchTokens', 'maxDocumentChars', 'apiKey', 'adminApiKey'],
).action(
  async (
    file: string,
    raw: RawSettings & { collection: string; url?: string; idField: string; textField: string; vectorField?: string; batch: string; concurrency: string; resume?: boolean; checkpoint?: string; progress: boolean },
  ) => {
  try {
    const config = buildConfig(raw);
    const whole = (value: string, flag: string): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${flag} must be a positive integer, got ${value}`);
      return n;
    };
    const urls = raw.url === undefined ? [] : raw.url.split(',').map((u) => u.trim()).filter((u) => u !== '');
    const totals = await runIngest(
      {
        file,
        collection: raw.collection,
        urls,
        idField: raw.idField,
        textField: raw.textField,
        vectorField: raw.vectorField,
        batch: whole(raw.batch, '--batch'),
        concurrency: whole(raw.concurrency, '--concurrency'),
        resume: raw.resume === true,
        checkpoint: raw.checkpoint,
        progress: raw.progress,
      },
      config,
      (msg) => process.stderr.write(`${msg}\n`),
    );
    const skipped = totals.skipped > 0 ? ` (${totals.skipped} skipped: committed by an earlier run)` : '';
    process.stdout.write(`ingested ${totals.documents} documents into ${raw.collection} in ${totals.seconds.toFixed(1)} s (${(totals.documents / Math.max(totals.seconds, 1e-9)).toFixed(0)} documents/s)${skipped}\n`);
    process.exit(0);
  } catch (err) {
    fail(err);
  }
  },
);

const STORE_SETTINGS = ['store', 'dataDir', 'storeTimeoutMs', 'storePoolSize', 'storeSchema', 'apiKey', 'adminApiKey'] as const;

addSettings(
  program
    .command('export')
    .description('write a collection (settings, documents, metadata, vectors) as an NDJSON snapshot, streamed; gzip when --out ends in .gz')
    .requiredOption('--collection <name>', 'the collection to export')
    .option('--out <file>', 'where to write it (- for stdout)', '-')
    .option('--url <url>', 'a running service to export from (GET /collections/NAME/export); without it the store is opened here, which needs the service stopped when it uses the embedded store'),
  [...STORE_SETTINGS],
).action(async (raw: RawSettings & { collection: string; out: string; url?: string }) => {
  try {
    await runExport({ collection: raw.collection, out: raw.out, url: raw.url }, buildConfig(raw), (msg) => process.stderr.write(`${msg}\n`));
    process.exit(0);
  } catch (err) {
    fail(err);
  }
});

addSettings(
  program
    .command('import')
    .description('read an NDJSON snapshot (from `reranker export`, plain or gzip) into a new or empty collection with its settings')
    .argument('<file>', 'the snapshot (- for stdin)')
    .option('--collection <name>', 'import under this name (default: the snapshot\'s; required with --url)')
    .option('--url <url>', 'a running service to import through (POST /collections/NAME/import); without it the store is opened here'),
  [...STORE_SETTINGS],
).action(async (file: string, raw: RawSettings & { collection?: string; url?: string }) => {
  try {
    const result = await runImport({ file, collection: raw.collection, url: raw.url }, buildConfig(raw), (msg) => process.stderr.write(`${msg}\n`));
    process.stdout.write(`imported ${result.documents} documents into ${result.collection}\n`);
    process.exit(0);
  } catch (err) {
    fail(err);
  }
});

program
  .command('openapi')
  .description('print the OpenAPI document generated from the route schemas (openapi.yaml is its snapshot)')
  .action(async () => {
    process.stdout.write(await renderOpenapi());
  });

await program.parseAsync(process.argv);
