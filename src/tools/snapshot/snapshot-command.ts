import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Config } from '../../config.js';
import { snapshotLineBytes, SNAPSHOT_MEDIA_TYPE } from '../../http/collections/snapshot-routes.js';
import { ndjsonLines } from '../../http/collections/ndjson.js';
import { exportSnapshot } from '../../pipelines/snapshot-export.js';
import { importSnapshot } from '../../pipelines/snapshot-import.js';
import { openStore, type DocumentStore } from '../../store/index.js';

export interface ExportOptions {
  collection: string;
  /** A file (gzip when it ends in .gz), or - for stdout. */
  out: string;
  /** A running service to export from; without it the store is opened here. */
  url: string | undefined;
}

export interface ImportOptions {
  /** A snapshot file (plain or gzip, told by its first bytes), or - for stdin. */
  file: string;
  /** Import under this name (default: the snapshot's); required with --url. */
  collection: string | undefined;
  url: string | undefined;
}

/** The store of the settings, opened here: the offline path, which needs the service stopped when it uses the embedded store. */
async function withStore<T>(config: Config, log: (msg: string) => void, work: (store: DocumentStore) => Promise<T>): Promise<T> {
  const store = await openStore(config.store, { log: { warn: (_o, m) => log(m), info: () => undefined } });
  if (store === undefined) throw new Error('--store none: there is no store to use');
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function authHeader(config: Config, admin: boolean): Record<string, string> {
  const key = admin ? (config.access.adminApiKeys[0] ?? config.access.apiKeys[0]) : (config.access.apiKeys[0] ?? config.access.adminApiKeys[0]);
  return key === undefined ? {} : { authorization: `Bearer ${key}` };
}

async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const why = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    throw new Error(`cannot reach the service at ${new URL(url).origin} (${why}); is it running, and is --url right?`);
  }
}

function output(out: string): Writable[] {
  const sink = out === '-' ? process.stdout : createWriteStream(out);
  return out.endsWith('.gz') ? [createGzip(), sink] : [sink];
}

/** The snapshot file's bytes, gunzipped when they start with gzip's magic number. */
async function input(file: string): Promise<Readable> {
  if (file === '-') return process.stdin;
  const handle = await open(file, 'r');
  const head = Buffer.alloc(2);
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(file);
  return head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
}

/** `reranker export --collection NAME [--out FILE]`: the collection as a snapshot, streamed from the store or a service. */
export async function runExport(opts: ExportOptions, config: Config, log: (msg: string) => void): Promise<void> {
  if (opts.url !== undefined) {
    const base = opts.url.replace(/\/+$/, '');
    const res = await request(`${base}/collections/${encodeURIComponent(opts.collection)}/export`, { headers: authHeader(config, false) });
    if (!res.ok || res.body === null) throw new Error(`GET /collections/${opts.collection}/export answered ${res.status}: ${await res.text()}`);
    await pipeline([Readable.fromWeb(res.body), ...output(opts.out)]);
    return;
  }
  await withStore(config, log, async (store) => {
    const collection = await store.getCollection(opts.collection);
    await pipeline([Readable.from(exportSnapshot(store, collection)), ...output(opts.out)]);
  });
}

/** `reranker import FILE [--collection NAME]`: a snapshot into a new or empty collection, on the store or through a service. */
export async function runImport(opts: ImportOptions, config: Config, log: (msg: string) => void): Promise<{ collection: string; documents: number }> {
  const body = await input(opts.file);
  if (opts.url !== undefined) {
    if (opts.collection === undefined) throw new Error('import --url needs --collection NAME (the collection to import into)');
    const base = opts.url.replace(/\/+$/, '');
    const res = await request(`${base}/collections/${encodeURIComponent(opts.collection)}/import`, {
      method: 'POST',
      headers: { ...authHeader(config, true), 'content-type': SNAPSHOT_MEDIA_TYPE },
      body: Readable.toWeb(body) as ReadableStream<Uint8Array>,
      duplex: 'half',
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST /collections/${opts.collection}/import answered ${res.status}: ${text}`);
    return JSON.parse(text) as { collection: string; documents: number };
  }
  return withStore(config, log, async (store) => {
    const result = await importSnapshot(store, ndjsonLines(body, snapshotLineBytes(config)), { name: opts.collection });
    return { collection: result.collection.name, documents: result.documents };
  });
}
