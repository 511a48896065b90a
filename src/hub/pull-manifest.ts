import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestFile } from './checksum.js';

export const MANIFEST_NAME = '.pull-manifest.json';

export interface ManifestEntry {
  size: number;
  /** Always recorded: computed locally, and checked against the hub whenever the hub announced one. */
  sha256: string;
  /** Git blob id, recorded when the hub announced one (plain, non-LFS files). */
  sha1?: string;
  repoId: string;
  revision: string;
}

export interface PullManifest {
  version: 1;
  repoId: string;
  revision: string;
  /** The commit the revision resolved to at pull time, when the hub said. */
  commit?: string;
  /** The onnxFile the caller asked for (null = default with fallback) and the one that was chosen. */
  onnxRequested: string | null;
  onnxFile: string;
  pulledAt: string;
  files: Record<string, ManifestEntry>;
}

export async function readManifest(dir: string): Promise<PullManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<PullManifest>;
    if (parsed.version !== 1 || typeof parsed.files !== 'object' || parsed.files === null) return undefined;
    return parsed as PullManifest;
  } catch {
    // A damaged manifest only costs a round of HEAD requests; it never blocks a pull.
    return undefined;
  }
}

/** Written only after every file is in place, so a manifest's presence means a whole pull succeeded. */
export async function writeManifest(dir: string, manifest: PullManifest): Promise<void> {
  const path = join(dir, MANIFEST_NAME);
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(manifest, null, 2) + '\n');
  await rename(temp, path);
}

export interface VerifiedFile {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Confirms every file the manifest lists is still on disk with the recorded content. Sizes are
 * checked for all files first because that is nearly free and catches truncation and most edits;
 * only then is each file rehashed, since a same-size corruption (bit rot, a bad copy) is exactly
 * what an offline host cannot repair later. mtimes are deliberately not trusted: copying a model
 * folder between machines changes them without changing content.
 * Returns a reason string on the first problem.
 */
export async function verifyAgainstManifest(
  dir: string,
  manifest: PullManifest,
): Promise<{ ok: true; files: VerifiedFile[] } | { ok: false; reason: string }> {
  const entries = Object.entries(manifest.files);
  for (const [path, entry] of entries) {
    let size: number;
    try {
      size = (await stat(join(dir, path))).size;
    } catch {
      return { ok: false, reason: `${path} is missing` };
    }
    if (size !== entry.size) return { ok: false, reason: `${path} has ${size} bytes, expected ${entry.size}` };
  }
  const files: VerifiedFile[] = [];
  for (const [path, entry] of entries) {
    const digest = await digestFile(join(dir, path));
    if (digest.sha256 !== entry.sha256 || (entry.sha1 !== undefined && digest.gitSha1 !== entry.sha1)) {
      return { ok: false, reason: `${path} does not match its recorded checksum` };
    }
    files.push({ path, bytes: digest.size, sha256: digest.sha256 });
  }
  return { ok: true, files };
}
