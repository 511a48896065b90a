import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** What the hub promises a file's content hashes to; either may be missing (mirrors, odd proxies). */
export interface ExpectedDigest {
  /** LFS/Xet files: sha256 of the content, from X-Linked-Etag or a 64-hex ETag. */
  sha256?: string;
  /** Plain git files: the git blob id, sha1("blob <size>\0" + content). */
  gitSha1?: string;
}

export interface FileDigest {
  size: number;
  sha256: string;
  gitSha1: string;
}

/**
 * Strips the weak-validator prefix and quotes the hub (or a proxy in front of it) may add, and
 * classifies the value by length: 64 hex = sha256, 40 hex = git blob sha1. Anything else (a CDN's
 * own opaque ETag, an md5) promises nothing we can check.
 */
export function parseEtag(raw: string | null): ExpectedDigest {
  if (!raw) return {};
  const value = raw.trim().replace(/^W\//i, '').replace(/^"(.*)"$/, '$1').toLowerCase();
  if (/^[0-9a-f]{64}$/.test(value)) return { sha256: value };
  if (/^[0-9a-f]{40}$/.test(value)) return { gitSha1: value };
  return {};
}

/**
 * One read pass yields both digests. The git blob header needs the size up front, so it is
 * taken from stat; a file that changes while being read would fail verification anyway.
 */
export async function digestFile(path: string): Promise<FileDigest> {
  const { size } = await stat(path);
  const sha256 = createHash('sha256');
  const sha1 = createHash('sha1');
  sha1.update(`blob ${size}\0`);
  let read = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    sha1.update(chunk);
    read += chunk.length;
  }
  if (read !== size) {
    // The file changed size between stat and read; the git header would be wrong, so say so loudly.
    throw new Error(`${path} changed while it was being hashed`);
  }
  return { size, sha256: sha256.digest('hex'), gitSha1: sha1.digest('hex') };
}

/** Returns a description of the first mismatch, or undefined when everything that was promised holds. */
export function digestMismatch(
  actual: FileDigest,
  expected: ExpectedDigest & { size?: number },
): { expected: string; actual: string } | undefined {
  if (expected.size !== undefined && expected.size !== actual.size) {
    return { expected: `${expected.size} bytes`, actual: `${actual.size} bytes` };
  }
  if (expected.sha256 && expected.sha256 !== actual.sha256) {
    return { expected: `sha256 ${expected.sha256}`, actual: `sha256 ${actual.sha256}` };
  }
  if (expected.gitSha1 && expected.gitSha1 !== actual.gitSha1) {
    return { expected: `git blob sha1 ${expected.gitSha1}`, actual: `git blob sha1 ${actual.gitSha1}` };
  }
  return undefined;
}
