import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { workerScriptPath } from '../engine/worker-script.js';

/** What the thread is sent for one body: its bytes piece by piece, then 'end' (or 'abort'). */
export type BodyPiece = Uint8Array | 'end' | 'abort';

export interface JsonParseTask {
  port: MessagePort;
}

export type JsonParseReply = { ok: true; value: unknown } | { ok: false };

/** One body on its way to the thread. */
export interface BodyUpload {
  write(piece: Uint8Array): void;
  /** The body's value, or undefined when it is not valid JSON (or holds a forbidden key). */
  end(): Promise<{ value: unknown } | undefined>;
  abort(): void;
}

/**
 * Bodies parsed at once on the thread. Each waits for its pieces there, so a slow client's upload
 * holds no one else's parse; the request body timeout bounds how long it can wait.
 */
const CONCURRENT_BODIES = 256;

/**
 * One thread that parses large JSON bodies, started on the first one. A body's pieces go to it as
 * they arrive (small copies, from memory the allocator reuses), and the parsed value comes back by
 * structured clone, which rebuilds each string at its own size in the young generation (0.5 ms for
 * 200 strings of 20,000 characters) instead of one body-sized string.
 */
export class JsonParseThread {
  private piscina: Piscina<JsonParseTask, JsonParseReply> | undefined;

  open(): BodyUpload {
    this.piscina ??= new Piscina<JsonParseTask, JsonParseReply>({
      filename: workerScriptPath('../http/json-parse-worker'),
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: CONCURRENT_BODIES,
      idleTimeout: Infinity,
    });
    const { port1, port2 } = new MessageChannel();
    const reply = this.piscina.run({ port: port2 }, { transferList: [port2] });
    // A body given up on still settles its task; nobody waits for it.
    reply.catch(() => undefined);
    let open = true;
    const send = (piece: BodyPiece): void => {
      if (!open) return;
      port1.postMessage(piece);
      if (typeof piece === 'string') {
        open = false;
        port1.close();
      }
    };
    return {
      write: send,
      end: async () => {
        send('end');
        const r = await reply;
        return r.ok ? { value: r.value } : undefined;
      },
      abort: () => send('abort'),
    };
  }

  async close(): Promise<void> {
    await this.piscina?.destroy();
    this.piscina = undefined;
  }
}
