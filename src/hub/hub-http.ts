import { badResponse, isTransportError, notFound, unauthorized, unreachable } from './hub-error.js';

export interface HubHttp {
  fetch: typeof fetch;
  token: string | undefined;
  timeoutMs: number;
  /** Set once any request was attempted, so the result can say whether the network was touched. */
  used: boolean;
}

export interface SendOptions {
  method: 'HEAD' | 'GET';
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Return true to hand a redirect back to the caller instead of following it (the HEAD of an LFS file). */
  stopAtRedirect?: (response: Response) => boolean;
}

export interface SendResult {
  response: Response;
  url: string;
  /** True once any hop left the origin of the first URL; answers from there are not the hub's word. */
  leftOrigin: boolean;
}

const MAX_REDIRECTS = 10;

/**
 * Redirects are followed by hand rather than by fetch so that the Authorization header provably
 * never reaches another host. Undici 6 (Node 20) does drop it on cross-origin redirects per the
 * fetch spec, but older undici releases did not, and `fetch` is injectable, so we do not rely on it.
 * Range is kept across hops because the CDN is what answers it.
 */
export async function send(http: HubHttp, startUrl: string, options: SendOptions): Promise<SendResult> {
  const origin = new URL(startUrl).origin;
  let url = startUrl;
  let leftOrigin = false;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    leftOrigin ||= new URL(url).origin !== origin;
    const headers: Record<string, string> = {
      // A compressed body would make Content-Length and byte ranges refer to different bytes than we store.
      'Accept-Encoding': 'identity',
      ...options.headers,
    };
    if (http.token && !leftOrigin) headers.Authorization = `Bearer ${http.token}`;

    let response: Response;
    http.used = true;
    try {
      response = await http.fetch(url, {
        method: options.method,
        headers,
        redirect: 'manual',
        signal: options.signal ?? AbortSignal.timeout(http.timeoutMs),
      });
    } catch (err) {
      throw isTransportError(err) ? unreachable(url, err) : err;
    }

    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      return { response, url, leftOrigin };
    }
    if (options.stopAtRedirect?.(response)) return { response, url, leftOrigin };
    await discard(response);
    url = new URL(location, url).toString();
  }
  throw badResponse(startUrl, `more than ${MAX_REDIRECTS} redirects`);
}

/** Drains or cancels a body we do not need so the connection can be reused instead of leaking. */
export async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The connection is being thrown away either way.
  }
}

export interface FileLocation {
  repoId: string;
  revision: string;
  path: string;
}

/** Maps a non-success status to the error the user can act on. */
export async function failForStatus(response: Response, url: string, where: FileLocation): Promise<never> {
  await discard(response);
  const status = response.status;
  if (status === 401 || status === 403) throw unauthorized(where.repoId, where.path, status);
  if (status === 404) throw notFound(where.repoId, where.revision, where.path, response.headers.get('x-error-code'));
  throw badResponse(url, `HTTP ${status} ${response.statusText}`.trim());
}
