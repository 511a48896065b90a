import { parseEtag, type ExpectedDigest } from './checksum.js';
import { badResponse } from './hub-error.js';
import { discard, failForStatus, send, type FileLocation, type HubHttp } from './hub-http.js';

/** What one HEAD tells us about a file before any byte is downloaded. */
export interface RemoteFile {
  path: string;
  url: string;
  size: number | undefined;
  expected: ExpectedDigest;
  /** X-Repo-Commit: the commit the revision resolved to, kept in the manifest for provenance. */
  commit: string | undefined;
}

export function resolveUrl(endpoint: string, where: FileLocation): string {
  const path = where.path.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${where.repoId}/resolve/${encodeURIComponent(where.revision)}/${path}`;
}

/** The hub marks the redirect of an LFS/Xet file with these; a redirect without them is a rename or a mirror hop. */
function isLinkedFileRedirect(response: Response): boolean {
  return response.headers.has('x-linked-etag') || response.headers.has('x-linked-size');
}

/**
 * HEAD one file. Returns null when the file is absent from an existing repo and revision; a missing
 * repo or revision is always an error, because then every file would look "optional and absent".
 */
export async function headFile(http: HubHttp, endpoint: string, where: FileLocation): Promise<RemoteFile | null> {
  const url = resolveUrl(endpoint, where);
  const { response, url: answeredBy, leftOrigin } = await send(http, url, {
    method: 'HEAD',
    stopAtRedirect: isLinkedFileRedirect,
  });
  await discard(response);

  if (response.status === 404) {
    const errorCode = response.headers.get('x-error-code');
    if (errorCode !== 'RepoNotFound' && errorCode !== 'RevisionNotFound') return null;
  }
  const isLinked = response.status >= 300 && response.status < 400;
  if (!response.ok && !isLinked) return failForStatus(response, answeredBy, where);

  const headers = response.headers;
  const size = parseSize(headers.get('x-linked-size') ?? (isLinked ? null : headers.get('content-length')));
  if (size === null) throw badResponse(answeredBy, `invalid size header for ${where.path}`);

  // An ETag from a foreign host (a CDN behind a mirror) is that host's own validator, not a content hash.
  const expected = isLinked
    ? parseEtag(headers.get('x-linked-etag'))
    : leftOrigin
      ? {}
      : parseEtag(headers.get('x-linked-etag') ?? headers.get('etag'));

  return {
    path: where.path,
    url,
    size,
    expected,
    commit: headers.get('x-repo-commit') ?? undefined,
  };
}

/** undefined = not announced; null = announced but garbage. */
function parseSize(raw: string | null): number | undefined | null {
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw.trim())) return null;
  return Number(raw.trim());
}
