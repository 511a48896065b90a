import type { FastifyInstance, HTTPMethods } from 'fastify';

/** A response as the route tests read it. */
export interface Injected {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /**
   * The parsed JSON body; undefined when the body is empty or not JSON. Typed as loosely as Fastify's
   * own `res.json()`: the assertions are what check its shape.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as loose as Fastify's own res.json(); the assertions check the shape
  body: any;
  /** The body as sent. */
  text: string;
}

/**
 * One request through `app.inject`, no socket. A string payload goes as written (malformed JSON
 * included), anything else as JSON; a payload is labelled application/json unless headers say otherwise.
 */
export async function inject(app: FastifyInstance, method: HTTPMethods, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Injected> {
  const res = await app.inject({
    method,
    url,
    headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
  const json = String(res.headers['content-type'] ?? '').includes('json') && res.body !== '';
  return { status: res.statusCode, headers: res.headers, body: json ? (JSON.parse(res.body) as unknown) : undefined, text: res.body };
}

/**
 * `inject` bound to an app that a test builds in beforeAll: pass a getter, since the app does not
 * exist yet when the file's helpers are declared.
 */
export function injector(app: () => FastifyInstance) {
  return {
    send: (method: HTTPMethods, url: string, payload?: unknown, headers?: Record<string, string>) => inject(app(), method, url, payload, headers),
    get: (url: string, headers?: Record<string, string>) => inject(app(), 'GET', url, undefined, headers),
    post: (url: string, payload: unknown, headers?: Record<string, string>) => inject(app(), 'POST', url, payload, headers),
    put: (url: string, payload?: unknown, headers?: Record<string, string>) => inject(app(), 'PUT', url, payload, headers),
    del: (url: string, payload?: unknown, headers?: Record<string, string>) => inject(app(), 'DELETE', url, payload, headers),
  };
}
