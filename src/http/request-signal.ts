import type { FastifyReply, FastifyRequest } from 'fastify';
import { MAX_TIMER_MS } from '../config.js';
import { ClientClosedRequestError, DeadlineExceededError, InvalidRequestError } from '../errors.js';

export const TIMEOUT_HEADER = 'x-request-timeout-ms';

/**
 * The header's deadline, else the default. Node fires a timer set past 2^31-1 ms (about 24.8 days)
 * after 1 ms instead, so a longer deadline is clamped to that: nothing a client means by it changes.
 */
function timeoutMs(request: FastifyRequest, fallback: number): number {
  const raw = request.headers[TIMEOUT_HEADER];
  if (raw === undefined) return fallback;
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!Number.isInteger(n) || n < 0) throw new InvalidRequestError(`${TIMEOUT_HEADER} must be a whole number of milliseconds (0: no deadline), got "${String(raw)}".`);
  return Math.min(n, MAX_TIMER_MS);
}

/**
 * Aborts when the request's deadline passes (the header, else the default; 0 means none) or when
 * the client disconnects first; `signal.reason` is the error to answer with. Listeners and the
 * timer go away once the response is done, so keep-alive sockets do not collect them.
 */
export function requestSignal(request: FastifyRequest, reply: FastifyReply, defaultTimeoutMs: number): AbortSignal {
  const ms = timeoutMs(request, defaultTimeoutMs);
  const controller = new AbortController();
  const timer = ms > 0 ? setTimeout(() => controller.abort(new DeadlineExceededError(`The request deadline of ${ms} ms passed before its documents were scored.`)), ms) : undefined;
  timer?.unref();
  const res = reply.raw;
  // 'close' on the response fires once per request: after it is sent, or when the socket dies
  // first. Only the second case is a client gone.
  const onClose = (): void => {
    clearTimeout(timer);
    if (!res.writableFinished) controller.abort(new ClientClosedRequestError());
  };
  if (res.closed || res.destroyed) onClose();
  else res.once('close', onClose);
  return controller.signal;
}
