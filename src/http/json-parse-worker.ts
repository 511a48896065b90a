import type { MessagePort } from 'node:worker_threads';
import secureJson from 'secure-json-parse';
import { lowerThisThreadPriority } from '../engine/thread-priority.js';
import type { BodyPiece, JsonParseReply, JsonParseTask } from './json-parse-thread.js';

/*
 * Entry of the JSON body thread (loaded by piscina from dist/). Parsing a body of megabytes means
 * first making it one string of that size, which V8 places in pages of its own that the kernel
 * must fault in (12 ms for 4 MB on a 2-core Zen 5 VM), and gathering its pieces into one buffer,
 * which faults in as many pages again: here, not on the event loop. The thread runs at compute
 * priority; the main thread comes first.
 */
lowerThisThreadPriority();

const decoder = new TextDecoder();

/** The pieces sent to `port` until its end (or undefined when the request gave up on the body). */
function pieces(port: MessagePort): Promise<Uint8Array[] | undefined> {
  const got: Uint8Array[] = [];
  return new Promise((resolve) => {
    port.on('message', (piece: BodyPiece) => {
      if (piece instanceof Uint8Array) return void got.push(piece);
      port.close();
      resolve(piece === 'end' ? got : undefined);
    });
  });
}

export default async function parse(task: JsonParseTask): Promise<JsonParseReply> {
  const got = await pieces(task.port);
  if (got === undefined) return { ok: false };
  try {
    // Fastify's own JSON parser's settings (its defaults): a __proto__ or constructor.prototype key is an error.
    return { ok: true, value: secureJson.parse(decoder.decode(Buffer.concat(got)), undefined, { protoAction: 'error', constructorAction: 'error' }) };
  } catch {
    return { ok: false };
  }
}
