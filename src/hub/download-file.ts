import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { digestFile, digestMismatch, type FileDigest } from './checksum.js';
import { HubError, badResponse, interrupted, isTransportError } from './hub-error.js';
import { discard, failForStatus, send, type FileLocation, type HubHttp } from './hub-http.js';
import type { BytesReporter } from './pull-progress.js';
import type { RemoteFile } from './remote-info.js';

export interface DownloadOutcome {
  digest: FileDigest;
  resumed: boolean;
}

export const INCOMPLETE_SUFFIX = '.incomplete';

/**
 * Downloads into `<final>.incomplete`, verifies, then renames, so the final name only ever holds
 * verified content. A partial file from an earlier run is resumed with a Range request; if the
 * resumed result fails verification the partial may have come from an older version of the file,
 * so we start over once before calling it corruption.
 */
export async function downloadFile(
  http: HubHttp,
  remote: RemoteFile,
  where: FileLocation,
  finalPath: string,
  report: BytesReporter,
): Promise<DownloadOutcome> {
  const partialPath = finalPath + INCOMPLETE_SUFFIX;
  await mkdir(dirname(finalPath), { recursive: true });

  let resumed = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    const onDisk = await sizeOf(partialPath);
    resumed = await fetchInto(http, remote, where, partialPath, onDisk, report);
    const digest = await digestFile(partialPath);
    if (remote.size !== undefined && digest.size < remote.size) {
      // The body ended cleanly but short (a proxy closed early): keep the bytes for the next run.
      throw new HubError(
        'HUB_UNREACHABLE',
        `Download of ${where.path} stopped at ${digest.size} of ${remote.size} bytes. Run the pull again to resume.`,
      );
    }
    const mismatch = digestMismatch(digest, { ...remote.expected, size: remote.size });
    if (!mismatch) {
      await rename(partialPath, finalPath);
      return { digest, resumed };
    }
    await unlink(partialPath).catch(() => {});
    if (!resumed) {
      throw new HubError(
        'HUB_CHECKSUM_MISMATCH',
        `Checksum mismatch for ${where.path} from ${where.repoId}@${where.revision}: expected ${mismatch.expected}, ` +
          `got ${mismatch.actual}. The file was deleted; run the pull again, and if it keeps failing the mirror or proxy is serving altered content.`,
      );
    }
    report(where.path, 0);
  }
  // Unreachable: the second attempt never resumes because the partial was deleted.
  throw badResponse(remote.url, `could not verify ${where.path}`);
}

/** Returns whether the bytes were appended to an existing partial file. */
async function fetchInto(
  http: HubHttp,
  remote: RemoteFile,
  where: FileLocation,
  partialPath: string,
  onDisk: number,
  report: BytesReporter,
): Promise<boolean> {
  let offset = onDisk;
  if (remote.size !== undefined && offset > remote.size) {
    await unlink(partialPath);
    offset = 0;
  }
  // The previous run may have died between the last byte and the rename.
  if (remote.size !== undefined && offset === remote.size && offset > 0) return true;

  const idle = new IdleTimeout(http.timeoutMs);
  try {
    let { response, url } = await send(http, remote.url, {
      method: 'GET',
      headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
      signal: idle.signal,
    });
    if (response.status === 416 || (response.status === 206 && rangeStart(response) !== offset)) {
      // The server disagrees about what we have; the only safe move is a clean restart.
      await discard(response);
      offset = 0;
      ({ response, url } = await send(http, remote.url, { method: 'GET', signal: idle.signal }));
    }
    if (response.status !== 200 && response.status !== 206) return await failForStatus(response, url, where);
    if (response.status === 200) offset = 0;
    if (!response.body) throw badResponse(url, `empty body for ${where.path}`);

    const handle = await open(partialPath, offset > 0 ? 'a' : 'w');
    try {
      const reader = response.body.getReader();
      let written = offset;
      report(where.path, written);
      for (;;) {
        idle.touch();
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          throw isTransportError(err) ? interrupted(where.path, written, err) : err;
        }
        if (chunk.done) break;
        // Each chunk lands on disk before the next is read, so a dropped connection leaves a clean prefix.
        await handle.write(chunk.value);
        written += chunk.value.length;
        report(where.path, written);
      }
    } finally {
      await handle.close();
    }
    return offset > 0;
  } finally {
    idle.clear();
  }
}

function rangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range')?.trim() ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * A total deadline would kill large downloads on slow links, so the timeout measures silence:
 * it restarts on every chunk and only fires when nothing arrives for `ms`.
 */
class IdleTimeout {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.controller.abort(new DOMException(`no data for ${this.ms} ms`, 'TimeoutError'));
    }, this.ms);
    this.timer.unref();
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}
