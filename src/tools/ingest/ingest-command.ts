import cliProgress from 'cli-progress';
import type { Config } from '../../config.js';
import { defaultEngineFactory, embedderReady, ingestEmbedder, loadModels } from '../../compose.js';
import { resolveModelFolder } from '../../hub/model-source.js';
import { Metrics } from '../../metrics.js';
import { IngestPipeline, type IngestDocument } from '../../pipelines/ingest-pipeline.js';
import { openStore, type Collection } from '../../store/index.js';
import { countRecords, readDocuments, type FieldMap } from './read-documents.js';

export interface IngestOptions extends FieldMap {
  file: string;
  collection: string;
  /** A running service to send the documents to; without it the store is written directly. */
  url: string | undefined;
  /** Documents per committed batch. */
  batch: number;
  progress: boolean;
}

export interface IngestTotals {
  documents: number;
  seconds: number;
}

/** Where documents go: a running service (HTTP, NDJSON) or the store itself with an in-process embedder. */
interface Sink {
  /**
   * Finds the collection, or creates it with the defaults: called before the first batch is written
   * (or at the end of an empty file), so a file that fails on its first record leaves nothing behind.
   */
  open(): Promise<void>;
  write(docs: IngestDocument[]): Promise<void>;
  finish(): Promise<void>;
  close(): Promise<void>;
}

/** Writing needs the admin key when the service has one, else any API key (API_KEY, ADMIN_API_KEY here too). */
async function httpSink(url: string, name: string, key: string | undefined): Promise<Sink> {
  const base = url.replace(/\/+$/, '');
  const auth: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  const send = async (method: string, path: string, body?: string, type = 'application/json'): Promise<Response> => {
    try {
      return await fetch(`${base}${path}`, { method, headers: { ...auth, ...(body === undefined ? {} : { 'content-type': type }) }, ...(body === undefined ? {} : { body }) });
    } catch (err) {
      // fetch's own "fetch failed" names neither the URL nor why (the cause holds ECONNREFUSED, ENOTFOUND, ...).
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      const why = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
      throw new Error(`cannot reach the service at ${base} (${why}); is it running, and is --url right?`);
    }
  };
  const call = async (method: string, path: string, body?: string, type = 'application/json'): Promise<void> => {
    const res = await send(method, path, body, type);
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  // Asked now, so a wrong URL or key fails before the file is read.
  const existing = await send('GET', `/collections/${name}`);
  if (existing.status !== 404 && !existing.ok) throw new Error(`GET /collections/${name} answered ${existing.status}: ${await existing.text()}`);
  await existing.arrayBuffer();
  return {
    // Created with the service's defaults when missing; an existing collection keeps its settings.
    open: async () => {
      if (existing.status === 404) await call('PUT', `/collections/${name}`);
    },
    write: (docs) => call('POST', `/collections/${name}/documents`, docs.map((d) => JSON.stringify(d)).join('\n'), 'application/x-ndjson'),
    finish: async () => undefined,
    close: async () => undefined,
  };
}

/** The embedding model and the store, in this process: the offline bulk-load path (no service running on the data). */
async function directSink(config: Config, name: string, log: (msg: string) => void): Promise<Sink> {
  const entry = config.embedder.models[0];
  if (entry === undefined) throw new Error('ingesting text needs an embedding model; pass --embedding-model');
  const dir = await resolveModelFolder({ model: entry.source, onnxFile: entry.onnxFile, flag: '--embedding-model' }, config.hub, log);
  // The service's own wiring (compose.ts), with the embedder alone and no cache.
  const { registry } = loadModels({ ...config, embedder: { ...config.embedder, models: [{ ...entry, source: dir }] } }, { reranker: false });
  const model = registry.byRole('embedder');
  if (model === undefined) throw new Error(`no embedding model at ${dir}`);
  const store = await openStore(config.store, { log: { warn: (_o, m) => log(m), info: () => undefined } });
  if (store === undefined) throw new Error('--store none: nothing to ingest into');
  const metrics = new Metrics(undefined, { defaultMetrics: false });
  const engine = await defaultEngineFactory(registry.engineModels, config, metrics).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const embedder = await embedderReady(model, engine, undefined, metrics);
  const ingest = new IngestPipeline({ store, embedder: ingestEmbedder(engine, embedder, undefined), maxDocumentChars: config.limits.maxDocumentChars });
  let collection: Collection | undefined;
  const opened = (): Collection => {
    if (collection === undefined) throw new Error('the ingest sink was written before it was opened');
    return collection;
  };
  return {
    open: async () => {
      try {
        collection = await store.getCollection(name);
      } catch {
        collection = await store.createCollection({ name, dimensions: embedder.dimensions, embedding_model: embedder.model.servedName });
      }
    },
    write: async (docs) => void (await ingest.upsert(opened(), docs, undefined, true)),
    finish: () => ingest.finish(opened()),
    close: async () => {
      await engine.close();
      await store.close();
    },
  };
}

/**
 * `reranker ingest FILE --collection NAME`: documents of a .jsonl or .csv file, upserted by id in
 * committed batches (so a re-run replaces rather than duplicates), with a progress bar.
 */
export async function runIngest(opts: IngestOptions, config: Config, log: (msg: string) => void): Promise<IngestTotals> {
  const total = await countRecords(opts.file);
  const sink = opts.url === undefined ? await directSink(config, opts.collection, log) : await httpSink(opts.url, opts.collection, config.access.adminApiKeys[0] ?? config.access.apiKeys[0]);
  const bar = new cliProgress.SingleBar(
    { format: 'ingest |{bar}| {value}/{total} documents | {speed} documents/s | ETA {eta_formatted}', hideCursor: true, noTTYOutput: opts.progress, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  let done = 0;
  if (opts.progress) bar.start(total, 0, { speed: '0' });
  let opened = false;
  const open = async (): Promise<void> => {
    if (!opened) await sink.open();
    opened = true;
  };
  try {
    let batch: IngestDocument[] = [];
    const flush = async (): Promise<void> => {
      await open();
      await sink.write(batch);
      done += batch.length;
      batch = [];
      const seconds = (performance.now() - started) / 1000;
      if (opts.progress) bar.update(done, { speed: (done / seconds).toFixed(0) });
    };
    for await (const doc of readDocuments(opts.file, opts)) {
      batch.push(doc);
      if (batch.length >= opts.batch) await flush();
    }
    if (batch.length > 0) await flush();
    await open();
    await sink.finish();
  } finally {
    if (opts.progress) bar.stop();
    await sink.close();
  }
  return { documents: done, seconds: (performance.now() - started) / 1000 };
}
