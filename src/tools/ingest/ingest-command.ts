import cliProgress from 'cli-progress';
import type { Config } from '../../config.js';
import { defaultEngineFactory, embedderReady, ingestEmbedder, loadModels } from '../../compose.js';
import { resolveModelFolder } from '../../hub/model-source.js';
import { Metrics } from '../../metrics.js';
import { IngestPipeline, type IngestDocument } from '../../pipelines/ingest-pipeline.js';
import { openStore, type Collection } from '../../store/index.js';
import { countRecords, readDocuments, type FieldMap } from './read-documents.js';
import { Checkpoint, checkpointPath, readCheckpoint } from './ingest-checkpoint.js';

export interface IngestOptions extends FieldMap {
  file: string;
  collection: string;
  /** Running services (replicas of one store) to send the documents to, in turn; empty: the store is written directly. */
  urls: string[];
  /** Documents per committed batch. */
  batch: number;
  /** Batches in flight at once. */
  concurrency: number;
  /** Skip the documents the checkpoint says a previous run committed. */
  resume: boolean;
  /** The checkpoint file (default: beside the input, named for the collection). */
  checkpoint?: string | undefined;
  progress: boolean;
}

export interface IngestTotals {
  /** Documents this run sent. */
  documents: number;
  /** Documents a resumed run skipped (committed by an earlier run). */
  skipped: number;
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
 * committed batches (so a re-run replaces rather than duplicates), `concurrency` batches at once
 * spread over the replicas in turn, with a progress bar and a checkpoint that `--resume` continues from.
 */
export async function runIngest(opts: IngestOptions, config: Config, log: (msg: string) => void): Promise<IngestTotals> {
  const checkpointFile = opts.checkpoint ?? checkpointPath(opts.file, opts.collection);
  const skip = opts.resume ? readCheckpoint(checkpointFile, opts.file, opts.collection) : 0;
  if (opts.resume) log(skip > 0 ? `resuming after the ${skip} documents ${checkpointFile} counts as committed` : `no checkpoint at ${checkpointFile}; starting from the beginning`);
  const total = await countRecords(opts.file);
  const key = config.access.adminApiKeys[0] ?? config.access.apiKeys[0];
  const sinks = opts.urls.length === 0 ? [await directSink(config, opts.collection, log)] : await Promise.all(opts.urls.map((url) => httpSink(url, opts.collection, key)));
  const checkpoint = new Checkpoint(checkpointFile, opts.file, opts.collection, log);
  const bar = new cliProgress.SingleBar(
    { format: 'ingest |{bar}| {value}/{total} documents | {speed} documents/s | ETA {eta_formatted}', hideCursor: true, noTTYOutput: opts.progress, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  let done = 0;
  if (opts.progress) bar.start(Math.max(0, total - skip), 0, { speed: '0' });
  let opened = false;
  const open = async (): Promise<void> => {
    if (!opened) await (sinks[0] as Sink).open();
    opened = true;
  };
  // Batches in the order they were read; the checkpoint moves past a batch once it and all before it are committed.
  const pending: { end: number; committed: boolean }[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let sent = 0;
  const send = async (docs: IngestDocument[], end: number): Promise<void> => {
    await open();
    const entry = { end, committed: false };
    pending.push(entry);
    const sink = sinks[sent++ % sinks.length] as Sink;
    const write = sink.write(docs).then(
      () => {
        entry.committed = true;
        done += docs.length;
        let upTo: number | undefined;
        while (pending[0]?.committed === true) upTo = (pending.shift() as { end: number }).end;
        if (upTo !== undefined) checkpoint.save(upTo);
        if (opts.progress) bar.update(done, { speed: (done / ((performance.now() - started) / 1000)).toFixed(0) });
      },
      (err: unknown) => void (failure ??= { err }),
    );
    inFlight.add(write);
    void write.finally(() => inFlight.delete(write));
    if (inFlight.size >= opts.concurrency) await Promise.race(inFlight);
  };
  try {
    let batch: IngestDocument[] = [];
    let read = 0;
    for await (const doc of readDocuments(opts.file, opts)) {
      if (++read <= skip) continue;
      batch.push(doc);
      if (batch.length >= opts.batch) {
        await send(batch, read);
        batch = [];
      }
      if (failure !== undefined) break;
    }
    if (batch.length > 0 && failure === undefined) await send(batch, read);
    // What is in flight lands (or fails) before the run ends, so the checkpoint counts it.
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure.err;
    await open();
    for (const sink of sinks) await sink.finish();
    checkpoint.clear();
  } finally {
    await Promise.all(inFlight);
    if (opts.progress) bar.stop();
    for (const sink of sinks) await sink.close();
  }
  return { documents: done, skipped: skip, seconds: (performance.now() - started) / 1000 };
}
