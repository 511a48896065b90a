import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { HttpSettings } from '../config.js';
import { InvalidRequestError, LimitExceededError, RerankerError, ServerBusyError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { errorBody } from './error-reply.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads its body as a stream of this content type, of any size (the NDJSON upsert). */
    streamsBody?: string;
  }
}

/**
 * How long a connection that is being closed keeps reading (and dropping) what its client still
 * sends, so the client can read the answer first: closing a socket with unread data resets it, and a
 * client still writing a large body then sees EPIPE or ECONNRESET instead of the 413.
 */
const LINGER_MS = 5000;
/**
 * The same for a connection closed for being too slow or malformed (408, 431, 400): long enough for
 * the answer to be read, short, since a slow client is exactly what the timeout is there to free us from.
 */
const CLIENT_ERROR_LINGER_MS = 1000;
const lingering = new WeakSet<Socket>();

/** Requests that are never turned away for being one too many: probes and scrapes must see the truth. */
const UNCOUNTED_ROUTES = new Set(['/health', '/metrics']);

/**
 * Node checks the header and request deadlines on an interval (30 s by default), so a deadline is
 * late by up to that much; a tenth of the shortest one keeps them within 10%, and the check is a walk
 * over the open connections, cheap at once a second.
 */
function checkingIntervalMs(http: HttpSettings): number {
  const shortest = Math.min(...[http.requestBodyTimeoutMs, http.headersTimeoutMs].filter((ms) => ms > 0));
  return Math.max(50, Math.min(1000, Math.floor(shortest / 10)));
}

/**
 * Ends a connection gracefully: the response goes out, our side closes, and whatever the client still
 * sends of its request is read and dropped until that body ends, the client hangs up, or LINGER_MS
 * pass. Only then is the socket destroyed, so no unread byte turns the close into a reset.
 */
function lingerClose(socket: Socket, request?: IncomingMessage, ms = LINGER_MS): void {
  if (socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  const stop = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(stop, ms);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // Once nothing more will arrive, the socket goes as soon as our last byte is out.
  const afterFlush = (): void => {
    if (socket.writableFinished) stop();
    else socket.once('finish', stop);
  };
  // The client hung up its side.
  socket.once('end', afterFlush);
  if (request !== undefined) {
    if (request.complete) afterFlush();
    else {
      request.once('end', afterFlush);
      request.once('error', stop);
      request.resume();
    }
  }
  socket.end();
  socket.resume();
}

/**
 * Node calls `destroySoon` once a response marked `Connection: close` is written; it would destroy the
 * socket as soon as the response is flushed, with the rest of the request body still unread.
 */
function lingerAfterResponse(request: IncomingMessage): void {
  const { socket } = request;
  if (!(socket instanceof Socket)) return;
  (socket as Socket & { destroySoon(): void }).destroySoon = () => lingerClose(socket, request);
}

/** What the HTTP server answers to a connection-level failure, raw, since there is no request to reply to. */
function clientFailure(err: ConnectionError, http: HttpSettings): RerankerError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RerankerError('REQUEST_TIMEOUT', `The request did not arrive within ${http.requestBodyTimeoutMs} ms (headers within ${http.headersTimeoutMs} ms); send it faster or in smaller parts.`);
    case 'HPE_HEADER_OVERFLOW':
      return new RerankerError('HEADERS_TOO_LARGE', 'The request headers are over the size limit (16 KB).');
    default:
      return new InvalidRequestError('The request is not valid HTTP/1.1.');
  }
}

/**
 * Fastify's server options for slow and idle clients: the whole request (headers and body) within
 * --request-body-timeout-ms, the headers within --headers-timeout-ms, an idle keep-alive connection
 * closed after --keep-alive-timeout-ms. An expired or malformed request is answered 408/431/400 in the
 * service's error shape, counted, and its connection closed gracefully.
 */
export function serverOptions(http: HttpSettings, metrics: Metrics) {
  return {
    requestTimeout: http.requestBodyTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    http: { requestTimeout: http.requestBodyTimeoutMs, headersTimeout: http.headersTimeoutMs, connectionsCheckingInterval: checkingIntervalMs(http) },
    clientErrorHandler(err: ConnectionError, socket: Socket): void {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const e = clientFailure(err, http);
      metrics.errors.inc({ code: e.code });
      // A response already on its way cannot be replaced; the connection just ends.
      const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (socket.writable && inFlight?.headersSent !== true) {
        const body = JSON.stringify(errorBody(e));
        socket.write(
          `HTTP/1.1 ${e.statusCode} ${STATUS_CODES[e.statusCode] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      }
      lingerClose(socket, undefined, CLIENT_ERROR_LINGER_MS);
    },
  };
}

export interface TransportOptions {
  http: HttpSettings;
  maxBodyBytes: number;
}

const mediaType = (request: FastifyRequest): string => (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * The request's way in, before any route: a declared body over the limit is refused before a byte of it
 * is read, `Expect: 100-continue` gets its 100 only once the body is wanted, a response sent while the
 * body is still arriving closes the connection gracefully, and requests beyond
 * --max-concurrent-requests are turned away with 503 and Retry-After.
 */
export const transportPlugin = fp(async (app: FastifyInstance, { http, maxBodyBytes }: TransportOptions) => {
  // Without a listener Node answers every `Expect: 100-continue` with 100 at once, inviting a body it
  // may refuse; with one, the 100 is sent from preParsing below, after the key and the size are checked.
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => app.server.emit('request', req, res));

  app.addHook('preParsing', async (request, reply, payload) => {
    const declared = Number(request.headers['content-length']);
    const streams = request.routeOptions.config?.streamsBody !== undefined && request.routeOptions.config.streamsBody === mediaType(request);
    const limit = request.routeOptions.bodyLimit ?? maxBodyBytes;
    if (!streams && declared > limit) {
      throw new LimitExceededError(`The request body is ${declared} bytes, over the limit of ${limit}.`, 'PAYLOAD_TOO_LARGE');
    }
    if (request.headers.expect?.toLowerCase() === '100-continue' && request.raw.socket instanceof Socket && !reply.raw.headersSent) reply.raw.writeContinue();
    return payload;
  });

  app.addHook('onSend', async (request, reply) => {
    // Answered before the body was all in (a refusal, or a failure mid-stream): this connection cannot
    // carry another request, so it closes, after the client has had the chance to read the answer.
    if (request.raw.complete === false && request.raw.socket instanceof Socket) {
      void reply.header('connection', 'close');
      lingerAfterResponse(request.raw);
    }
  });

  if (http.maxConcurrentRequests > 0) {
    let inHand = 0;
    // After validation: a request counts once its body is in, so clients still sending hold no room
    // (their bound is the body timeout) and a refused request has cost only its parse.
    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      if (UNCOUNTED_ROUTES.has(request.routeOptions.url ?? '')) return;
      if (inHand >= http.maxConcurrentRequests) {
        throw new ServerBusyError(`The server is handling ${inHand} requests, its limit (--max-concurrent-requests); retry shortly.`);
      }
      inHand++;
      // 'close' comes exactly once per response: sent, or its connection gone.
      reply.raw.once('close', () => inHand--);
    });
  }
});
