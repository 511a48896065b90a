import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installGlobalErrors } from '../../src/http/global-errors.js';
import { ClientClosedRequestError, DeadlineExceededError } from '../../src/errors.js';
import { requestSignal } from '../../src/http/request-signal.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A real server whose /work route waits `ms` (or until its signal aborts) and reports the signal. */
async function serve(defaultTimeoutMs: number): Promise<{ url: string; signals: AbortSignal[] }> {
  const signals: AbortSignal[] = [];
  app = Fastify();
  installGlobalErrors(app);
  app.get('/work', async (req, reply) => {
    const signal = requestSignal(req, reply, defaultTimeoutMs);
    signals.push(signal);
    const ms = Number(new URL(req.url, 'http://test').searchParams.get('ms') ?? 0);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
    return { ok: true };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, signals };
}

describe('requestSignal', () => {
  it('aborts with DeadlineExceededError when the header deadline passes: 504', async () => {
    const { url, signals } = await serve(0);
    const res = await fetch(`${url}/work?ms=5000`, { headers: { 'x-request-timeout-ms': '50' } });
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({
      error: { code: 'DEADLINE_EXCEEDED', message: 'The request deadline of 50 ms passed before its documents were scored.' },
      message: 'The request deadline of 50 ms passed before its documents were scored.',
      detail: 'The request deadline of 50 ms passed before its documents were scored.',
    });
    expect(signals[0]?.reason).toBeInstanceOf(DeadlineExceededError);
  });

  it('uses the default deadline without a header, and none when the header says 0', async () => {
    const { url, signals } = await serve(50);
    expect((await fetch(`${url}/work?ms=5000`)).status).toBe(504);
    const res = await fetch(`${url}/work?ms=150`, { headers: { 'x-request-timeout-ms': '0' } });
    expect(res.status).toBe(200);
    expect(signals[1]?.aborted).toBe(false);
  });

  it('refuses a malformed deadline header with 400', async () => {
    const { url } = await serve(0);
    const res = await fetch(`${url}/work`, { headers: { 'x-request-timeout-ms': 'soon' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
  });

  it('aborts with ClientClosedRequestError when the client disconnects first', async () => {
    const { url, signals } = await serve(0);
    const client = new AbortController();
    const pending = fetch(`${url}/work?ms=10000`, { signal: client.signal });
    while (signals.length === 0) await new Promise((r) => setTimeout(r, 5));
    client.abort();
    await expect(pending).rejects.toThrow();
    const signal = signals[0] as AbortSignal;
    if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r));
    expect(signal.reason).toBeInstanceOf(ClientClosedRequestError);
  });

  it('stays quiet once the response is sent, though the keep-alive socket closes later', async () => {
    const { url, signals } = await serve(100);
    expect((await fetch(`${url}/work?ms=1`)).status).toBe(200);
    await app?.close();
    app = undefined;
    await new Promise((r) => setTimeout(r, 150));
    expect(signals[0]?.aborted).toBe(false);
  });
});
