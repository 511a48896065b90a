import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Hugging Face hub on 127.0.0.1, because the real hub is unreachable from the
 * test environment. It mimics the parts of the hub's behaviour the puller depends on:
 *  - /{owner}/{name}/resolve/{revision}/{path} answers plain files directly with a quoted ETag
 *    equal to the git blob sha1 and an X-Repo-Commit header;
 *  - LFS files get a 302 to a CDN carrying X-Linked-Etag (sha256) and X-Linked-Size;
 *  - 404s carry X-Error-Code RepoNotFound / RevisionNotFound / EntryNotFound.
 * The CDN listens on a second port so that it is a different origin, like the real CDN host,
 * which lets tests check that the token never leaves the hub's origin.
 */

export interface RequestRecord {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  range: string | undefined;
  authorization: string | undefined;
  status: number;
  bodyBytes: number;
}

interface StoredFile {
  bytes: Buffer;
  lfs: boolean;
}

export interface LoopbackHub {
  endpoint: string;
  cdnOrigin: string;
  requests: RequestRecord[];
  addFile(repoId: string, revision: string, path: string, bytes: Buffer, opts?: { lfs?: boolean }): void;
  /** Token the hub demands on /resolve/; undefined = public repos. */
  requireToken: string | undefined;
  /** The CDN serves this file with one byte flipped, so its size still matches but its sha256 does not. */
  corrupt(repoId: string, revision: string, path: string): void;
  /** The next CDN response for this file sends `bytes` bytes of the body, then drops the connection. */
  cutNextAfter(repoId: string, revision: string, path: string, bytes: number): void;
  /** The next CDN response for this file sends headers and a few bytes, then goes silent. */
  stallNext(repoId: string, revision: string, path: string): void;
  resetCounters(): void;
  cdnBytesSent(): number;
  stop(): Promise<void>;
}

export function gitBlobSha1(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic pseudo-random bytes (xorshift32) standing in for ONNX weights. */
export function seededBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const RESOLVE = /^\/([^/]+(?:\/[^/]+)?)\/resolve\/([^/]+)\/(.+)$/;

export async function startLoopbackHub(): Promise<LoopbackHub> {
  const repos = new Map<string, Map<string, Map<string, StoredFile>>>();
  const blobs = new Map<string, Buffer>();
  const corrupted = new Set<string>();
  const cuts = new Map<string, number>();
  const stalls = new Set<string>();
  const requests: RequestRecord[] = [];
  const pending = new Set<NodeJS.Timeout>();
  const key = (repoId: string, revision: string, path: string): string => `${repoId}@${revision}:${path}`;
  const blobKeys = new Map<string, string>();

  const record = (server: 'hub' | 'cdn', req: IncomingMessage, status: number, bodyBytes: number): void => {
    requests.push({
      server,
      method: req.method ?? '',
      url: req.url ?? '',
      range: req.headers.range,
      authorization: req.headers.authorization,
      status,
      bodyBytes,
    });
  };

  const cdn = createServer((req, res) => {
    const match = /^\/cdn\/([0-9a-f]{64})$/.exec(req.url ?? '');
    const stored = match?.[1] === undefined ? undefined : blobs.get(match[1]);
    if (!match?.[1] || !stored) {
      record('cdn', req, 404, 0);
      res.writeHead(404).end();
      return;
    }
    const fileKey = blobKeys.get(match[1]) ?? '';
    let body = stored;
    if (corrupted.has(fileKey)) {
      body = Buffer.from(stored);
      body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let status = 200;
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
    if (range?.[1] !== undefined) {
      const start = Number(range[1]);
      if (start >= body.length) {
        record('cdn', req, 416, 0);
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
      body = body.subarray(start);
    }
    headers['Content-Length'] = String(body.length);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      record('cdn', req, status, 0);
      res.end();
      return;
    }
    const cut = cuts.get(fileKey);
    if (cut !== undefined || stalls.has(fileKey)) {
      cuts.delete(fileKey);
      const stall = stalls.delete(fileKey);
      const sent = Math.min(cut ?? 1024, body.length);
      record('cdn', req, status, sent);
      // Give the client time to consume what was sent, so the partial file on its side is predictable.
      res.write(body.subarray(0, sent), () => {
        if (stall) return;
        const timer = setTimeout(() => {
          pending.delete(timer);
          res.socket?.destroy();
        }, 150);
        pending.add(timer);
      });
      return;
    }
    record('cdn', req, status, body.length);
    res.end(body);
  });

  const hub = createServer((req, res) => {
    const fail = (status: number, errorCode?: string): void => {
      record('hub', req, status, 0);
      res.writeHead(status, errorCode ? { 'X-Error-Code': errorCode } : {}).end();
    };
    const match = RESOLVE.exec((req.url ?? '').split('?')[0] ?? '');
    if (!match?.[1] || !match[2] || !match[3]) return fail(404);
    if (hubState.requireToken && req.headers.authorization !== `Bearer ${hubState.requireToken}`) {
      return fail(401, 'RepoNotFound');
    }
    const [repoId, revision, path] = [match[1], decodeURIComponent(match[2]), decodeURIComponent(match[3])];
    const revisions = repos.get(repoId);
    if (!revisions) return fail(404, 'RepoNotFound');
    const files = revisions.get(revision);
    if (!files) return fail(404, 'RevisionNotFound');
    const file = files.get(path);
    if (!file) return fail(404, 'EntryNotFound');
    const commit = createHash('sha1').update(`${repoId}@${revision}`).digest('hex');
    if (file.lfs) {
      const digest = sha256(file.bytes);
      record('hub', req, 302, 0);
      res
        .writeHead(302, {
          Location: `${cdnOrigin}/cdn/${digest}`,
          'X-Linked-Etag': `"${digest}"`,
          'X-Linked-Size': String(file.bytes.length),
          'X-Repo-Commit': commit,
          ETag: `"${gitBlobSha1(Buffer.from('pointer'))}"`,
        })
        .end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(file.bytes.length),
      ETag: `"${gitBlobSha1(file.bytes)}"`,
      'X-Repo-Commit': commit,
    });
    const sendBody = req.method !== 'HEAD';
    record('hub', req, 200, sendBody ? file.bytes.length : 0);
    res.end(sendBody ? file.bytes : undefined);
  });

  const listen = (server: Server): Promise<string> =>
    new Promise((resolve) => {
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    });
  const endpoint = await listen(hub);
  const cdnOrigin = await listen(cdn);

  const hubState: LoopbackHub = {
    endpoint,
    cdnOrigin,
    requests,
    requireToken: undefined,
    addFile(repoId, revision, path, bytes, opts) {
      let revisions = repos.get(repoId);
      if (!revisions) repos.set(repoId, (revisions = new Map()));
      let files = revisions.get(revision);
      if (!files) revisions.set(revision, (files = new Map()));
      const lfs = opts?.lfs ?? path.endsWith('.onnx');
      files.set(path, { bytes, lfs });
      if (lfs) {
        blobs.set(sha256(bytes), bytes);
        blobKeys.set(sha256(bytes), key(repoId, revision, path));
      }
    },
    corrupt: (repoId, revision, path) => void corrupted.add(key(repoId, revision, path)),
    cutNextAfter: (repoId, revision, path, bytes) => void cuts.set(key(repoId, revision, path), bytes),
    stallNext: (repoId, revision, path) => void stalls.add(key(repoId, revision, path)),
    resetCounters: () => void requests.splice(0),
    cdnBytesSent: () => requests.filter((r) => r.server === 'cdn').reduce((sum, r) => sum + r.bodyBytes, 0),
    async stop() {
      for (const timer of pending) clearTimeout(timer);
      for (const server of [hub, cdn]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
  return hubState;
}

/** A port that was free a moment ago and has nothing listening: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
