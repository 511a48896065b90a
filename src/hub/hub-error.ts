/**
 * Stable codes callers (the CLI, tests) branch on; messages are for humans and may change.
 */
export type HubErrorCode =
  | 'HUB_UNREACHABLE'
  | 'HUB_NOT_FOUND'
  | 'HUB_UNAUTHORIZED'
  | 'HUB_CHECKSUM_MISMATCH'
  | 'HUB_BAD_RESPONSE'
  | 'HUB_INVALID_ARGUMENT';

export class HubError extends Error {
  readonly code: HubErrorCode;

  constructor(code: HubErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
  }
}

// The most common reason to see this is an air-gapped host, so the message lists the ways around it.
export const OFFLINE_ADVICE =
  'If this machine has no access to the hub, run the pull on a connected machine and copy the model folder here, ' +
  'mount an existing model folder, or pass --model DIR to serve a local folder. ' +
  'A mirror can be used by setting HF_ENDPOINT.';

export function unreachable(url: string, cause: unknown): HubError {
  const detail = describeNetworkCause(cause);
  return new HubError('HUB_UNREACHABLE', `Cannot reach ${originOf(url)} (${detail}). ${OFFLINE_ADVICE}`, { cause });
}

/** A transfer that broke after it started: the partial file is kept, so the useful advice is to rerun. */
export function interrupted(path: string, bytesOnDisk: number, cause: unknown): HubError {
  return new HubError(
    'HUB_UNREACHABLE',
    `Download of ${path} was interrupted after ${bytesOnDisk} bytes (${describeNetworkCause(cause)}). ` +
      'The partial file is kept; run the pull again to resume it.',
    { cause },
  );
}

export function unauthorized(repoId: string, path: string, status: number): HubError {
  return new HubError(
    'HUB_UNAUTHORIZED',
    `The hub answered ${status} for ${repoId}/${path}. The repository is private, gated, or does not exist: ` +
      `set HF_TOKEN to a token with read access, and accept the model's terms on its hub page if it is gated.`,
  );
}

export function notFound(repoId: string, revision: string, path: string, errorCode: string | null): HubError {
  const what =
    errorCode === 'RepoNotFound'
      ? `Repository ${repoId} was not found`
      : errorCode === 'RevisionNotFound'
        ? `Revision '${revision}' of ${repoId} was not found`
        : `${path} was not found in ${repoId} at revision '${revision}'`;
  return new HubError('HUB_NOT_FOUND', `${what}. Check the repository id, the revision and the file name.`);
}

export function badResponse(url: string, detail: string): HubError {
  return new HubError('HUB_BAD_RESPONSE', `Unexpected answer from ${url}: ${detail}`);
}

/** Fetch rejects with a bare "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, ...) sits in the cause chain. */
export function describeNetworkCause(cause: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = cause;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const err = current as { name?: string; code?: string; message?: string; cause?: unknown };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    if (typeof err.code === 'string' && err.code.length > 0) return err.code;
    current = err.cause;
  }
  return cause instanceof Error ? cause.message : String(cause);
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * Errors fetch raises for transport problems, as opposed to our own HubErrors or programming bugs.
 * Undici reports refused connections and DNS failures as TypeError('fetch failed'), a dropped body as
 * TypeError('terminated'), and our timeouts as AbortError/TimeoutError.
 */
export function isTransportError(err: unknown): boolean {
  if (err instanceof HubError) return false;
  if (!(err instanceof Error)) return false;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return true;
  if (err instanceof TypeError && (err.message === 'fetch failed' || err.message === 'terminated')) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code);
}
