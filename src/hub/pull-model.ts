import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { digestFile, digestMismatch, type FileDigest } from './checksum.js';
import { downloadFile } from './download-file.js';
import {
  DEFAULT_ONNX_FILE,
  ROOT_ONNX_FILE,
  SUPPORT_FILES,
  checkRepoId,
  checkRepoPath,
  missingRequired,
} from './file-plan.js';
import { HubError, notFound } from './hub-error.js';
import type { FileLocation, HubHttp } from './hub-http.js';
import { readManifest, verifyAgainstManifest, writeManifest, type PullManifest } from './pull-manifest.js';
import { createProgress } from './pull-progress.js';
import { headFile, type RemoteFile } from './remote-info.js';

export interface PullOptions {
  repoId: string;
  destDir: string;
  revision?: string;
  onnxFile?: string;
  endpoint?: string;
  token?: string;
  progress?: boolean;
  fetch?: typeof fetch;
  log?: (msg: string) => void;
  timeoutMs?: number;
}

export interface PulledFile {
  path: string;
  bytes: number;
  sha256?: string;
  downloaded: boolean;
  resumed: boolean;
}

export interface PullResult {
  dir: string;
  files: PulledFile[];
  network: boolean;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
const DEFAULT_TIMEOUT_MS = 30_000;

export async function pullModel(opts: PullOptions): Promise<PullResult> {
  checkRepoId(opts.repoId);
  if (opts.onnxFile !== undefined) checkRepoPath(opts.onnxFile);
  const dir = opts.destDir;
  const revision = opts.revision ?? 'main';
  const endpoint = (opts.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const onnxRequested = opts.onnxFile ?? null;
  const log = opts.log ?? (() => {});

  const manifest = await readManifest(dir);
  const offline = await tryOffline(dir, manifest, opts.repoId, revision, onnxRequested, log);
  if (offline) return offline;

  const http: HubHttp = {
    fetch: opts.fetch ?? globalThis.fetch,
    token: opts.token || undefined,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    used: false,
  };
  const at = (path: string): FileLocation => ({ repoId: opts.repoId, revision, path });

  // All HEADs first: a missing required file or a refused token fails before any large transfer.
  const remotes: RemoteFile[] = [];
  for (const file of SUPPORT_FILES) {
    const remote = await headFile(http, endpoint, at(file.path));
    if (remote) remotes.push(remote);
    else if (file.required) throw notFound(opts.repoId, revision, file.path, null);
  }
  const onnx = await findOnnx(http, endpoint, at, onnxRequested, log);
  remotes.push(onnx, ...(await findExternalData(http, endpoint, at, onnx.path)));
  const missing = missingRequired(new Set(remotes.map((r) => r.path)), onnx.path);
  if (missing) {
    throw new HubError('HUB_NOT_FOUND', `${opts.repoId}@${revision} lacks files needed to serve it: ${missing}.`);
  }

  await mkdir(dir, { recursive: true });
  const current = new Map<string, FileDigest>();
  for (const remote of remotes) {
    const digest = await localCopyMatches(dir, remote, manifest, opts.repoId, revision);
    if (digest) current.set(remote.path, digest);
  }

  const toFetch = remotes.filter((r) => !current.has(r.path));
  const showProgress = opts.progress ?? process.stderr.isTTY === true;
  const progress = createProgress(showProgress, toFetch.reduce((sum, r) => sum + (r.size ?? 0), 0));
  const files: PulledFile[] = [];
  const digests = new Map<string, FileDigest>(current);
  try {
    for (const remote of remotes) {
      const kept = current.get(remote.path);
      if (kept) {
        log(`${remote.path}: already present and verified`);
        files.push({ path: remote.path, bytes: kept.size, sha256: kept.sha256, downloaded: false, resumed: false });
        continue;
      }
      log(`${remote.path}: downloading${remote.size === undefined ? '' : ` (${remote.size} bytes)`}`);
      const outcome = await downloadFile(http, remote, at(remote.path), join(dir, remote.path), progress.report);
      if (outcome.resumed) log(`${remote.path}: resumed a partial download`);
      digests.set(remote.path, outcome.digest);
      files.push({
        path: remote.path,
        bytes: outcome.digest.size,
        sha256: outcome.digest.sha256,
        downloaded: true,
        resumed: outcome.resumed,
      });
    }
  } finally {
    progress.stop();
  }

  await writeManifest(dir, buildManifest(opts.repoId, revision, onnxRequested, onnx.path, remotes, digests));
  return { dir, files, network: http.used };
}

async function tryOffline(
  dir: string,
  manifest: PullManifest | undefined,
  repoId: string,
  revision: string,
  onnxRequested: string | null,
  log: (msg: string) => void,
): Promise<PullResult | undefined> {
  if (!manifest) return undefined;
  if (manifest.repoId !== repoId || manifest.revision !== revision || manifest.onnxRequested !== onnxRequested) {
    log(`${dir}: manifest is for a different repository, revision or ONNX file; asking the hub`);
    return undefined;
  }
  if (missingRequired(new Set(Object.keys(manifest.files)), manifest.onnxFile)) return undefined;
  const check = await verifyAgainstManifest(dir, manifest);
  if (!check.ok) {
    log(`${dir}: ${check.reason}; asking the hub`);
    return undefined;
  }
  log(`${dir}: all files present and verified against ${repoId}@${revision}; no network needed`);
  return {
    dir,
    files: check.files.map((f) => ({ ...f, downloaded: false, resumed: false })),
    network: false,
  };
}

async function findOnnx(
  http: HubHttp,
  endpoint: string,
  at: (path: string) => FileLocation,
  requested: string | null,
  log: (msg: string) => void,
): Promise<RemoteFile> {
  const first = requested ?? DEFAULT_ONNX_FILE;
  const found = await headFile(http, endpoint, at(first));
  if (found) return found;
  const where = at(first);
  if (requested !== null) throw notFound(where.repoId, where.revision, first, null);
  log(`${DEFAULT_ONNX_FILE} not found; trying ${ROOT_ONNX_FILE}`);
  const fallback = await headFile(http, endpoint, at(ROOT_ONNX_FILE));
  if (fallback) return fallback;
  throw new HubError(
    'HUB_NOT_FOUND',
    `${where.repoId}@${where.revision} has neither ${DEFAULT_ONNX_FILE} nor ${ROOT_ONNX_FILE}. ` +
      'Pass the ONNX file path inside the repository explicitly, or export the model to ONNX first.',
  );
}

/**
 * The weights of a graph over protobuf's 2 GB live beside it: `model.onnx_data` (onnx's and
 * optimum's name), and for the largest exports also `model.onnx_data_1`, `_2`... (the hub's
 * onnx-community repos split them so). Each is HEADed in turn until one is missing.
 */
async function findExternalData(http: HubHttp, endpoint: string, at: (path: string) => FileLocation, onnxPath: string): Promise<RemoteFile[]> {
  const found: RemoteFile[] = [];
  for (let i = 0; i < MAX_DATA_FILES; i++) {
    const remote = await headFile(http, endpoint, at(i === 0 ? `${onnxPath}_data` : `${onnxPath}_data_${i}`));
    if (!remote) break;
    found.push(remote);
  }
  return found;
}

/** More shards than any export writes (a 2 GB shard each): a bound on the HEADs, not a limit users meet. */
const MAX_DATA_FILES = 64;

/**
 * A file already at its final name is kept when it matches what the hub announces right now. When
 * the hub announces no hash (some mirrors), the manifest from a pull of the same revision vouches
 * for it instead; without either we cannot tell an old copy from a current one, so it is fetched.
 */
async function localCopyMatches(
  dir: string,
  remote: RemoteFile,
  manifest: PullManifest | undefined,
  repoId: string,
  revision: string,
): Promise<FileDigest | undefined> {
  const path = join(dir, remote.path);
  try {
    const { size } = await stat(path);
    if (remote.size !== undefined && size !== remote.size) return undefined;
  } catch {
    return undefined;
  }
  const digest = await digestFile(path);
  if (remote.expected.sha256 || remote.expected.gitSha1) {
    return digestMismatch(digest, { ...remote.expected, size: remote.size }) ? undefined : digest;
  }
  const entry = manifest?.files[remote.path];
  const vouched = entry?.repoId === repoId && entry.revision === revision && entry.sha256 === digest.sha256;
  return vouched ? digest : undefined;
}

function buildManifest(
  repoId: string,
  revision: string,
  onnxRequested: string | null,
  onnxFile: string,
  remotes: RemoteFile[],
  digests: Map<string, FileDigest>,
): PullManifest {
  const files: PullManifest['files'] = {};
  for (const remote of remotes) {
    const digest = digests.get(remote.path);
    if (!digest) continue;
    files[remote.path] = {
      size: digest.size,
      sha256: digest.sha256,
      ...(remote.expected.gitSha1 ? { sha1: remote.expected.gitSha1 } : {}),
      repoId,
      revision,
    };
  }
  const commit = remotes.find((r) => r.commit)?.commit;
  return {
    version: 1,
    repoId,
    revision,
    ...(commit ? { commit } : {}),
    onnxRequested,
    onnxFile,
    pulledAt: new Date().toISOString(),
    files,
  };
}
