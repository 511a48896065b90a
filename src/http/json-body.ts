import type { Readable } from 'node:stream';
import secureJson from 'secure-json-parse';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { JsonParseThread, type BodyUpload } from './json-parse-thread.js';

/**
 * Bodies from this size up are parsed off the event loop. V8 makes a string of 128 KB or more in
 * pages of its own (its large-object space), and the page faults of those, about 3 ms a megabyte on
 * a 2-core Zen 5 VM, cost more than the parse. Smaller bodies parse here: a round trip to the thread
 * would cost them more than it saves.
 */
export const OFF_THREAD_MIN_BYTES = 128 * 1024;

const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

function parseHere(body: Buffer): unknown {
  if (body.length === 0) throw new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY();
  try {
    return secureJson.parse(body.toString('utf8'), undefined, PARSE_OPTIONS);
  } catch {
    throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
  }
}

/**
 * Reads a body as Fastify's own reader does (the route's size limit, the stream left as it is on
 * failure, so the transport can still answer and close gracefully), keeping a small body here and
 * sending a large one to the thread piece by piece as it arrives.
 */
function readBody(request: FastifyRequest, payload: Readable, thread: JsonParseThread): Promise<unknown> {
  const limit = request.routeOptions.bodyLimit ?? Infinity;
  return new Promise((resolve, reject) => {
    let size = 0;
    let kept: Buffer[] = [];
    let upload: BodyUpload | undefined;
    const stop = (): void => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
    };
    const onError = (err: Error): void => {
      stop();
      upload?.abort();
      reject(err);
    };
    const onData = (chunk: Buffer | string): void => {
      const piece = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += piece.length;
      if (size > limit) return onError(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      if (upload !== undefined) return upload.write(piece);
      kept.push(piece);
      if (size < OFF_THREAD_MIN_BYTES) return;
      upload = thread.open();
      for (const k of kept) upload.write(k);
      kept = [];
    };
    const onEnd = (): void => {
      stop();
      if (upload === undefined) {
        try {
          resolve(parseHere(Buffer.concat(kept)));
        } catch (err) {
          reject(err);
        }
        return;
      }
      upload.end().then((parsed) => (parsed === undefined ? reject(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY()) : resolve(parsed.value)), reject);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.resume();
  });
}

/**
 * The app's application/json parser, in place of Fastify's: the same errors (an empty body, invalid
 * JSON or a __proto__ key give Fastify's own error codes, which error-reply.ts maps), but a large body
 * never becomes one string, or one buffer, on the event loop (issue 25).
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const thread = new JsonParseThread();
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', (request: FastifyRequest, payload: Readable) => readBody(request, payload, thread));
  app.addHook('onClose', async () => thread.close());
}
