import { connect, type Socket } from 'node:net';

/** What a raw socket saw: every byte the server sent, and how the connection ended. */
export interface RawExchange {
  /** The server's bytes, as latin1 text. */
  received: string;
  /** An error the socket raised (EPIPE, ECONNRESET), if any. */
  error: NodeJS.ErrnoException | undefined;
  /** Milliseconds from connect until the server closed the connection (or the wait ended). */
  closedAfterMs: number;
  /** Whether the server ended the connection within the wait. */
  closed: boolean;
}

export interface RawClient {
  socket: Socket;
  /** Resolves when the server has closed the connection, or after `maxMs`. */
  done(maxMs: number): Promise<RawExchange>;
  /** The bytes received so far. */
  received(): string;
}

/** A plain TCP client on 127.0.0.1, for what fetch cannot do: trickle, stall, send a body the server refuses. */
export function rawClient(url: string): Promise<RawClient> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: NodeJS.ErrnoException | undefined;
    let closedAt: number | undefined;
    const closed = new Promise<void>((r) => socket.once('close', () => ((closedAt = performance.now() - started), r())));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e));
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => Buffer.concat(chunks).toString('latin1'),
        done: async (maxMs) => {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, maxMs)))]);
          clearTimeout(timer);
          const exchange = { received: Buffer.concat(chunks).toString('latin1'), error, closedAfterMs: closedAt ?? performance.now() - started, closed: closedAt !== undefined };
          socket.destroy();
          return exchange;
        },
      }),
    );
    socket.once('error', reject);
  });
}

/** The status code and the JSON body of a raw HTTP/1.1 response (the last one, after any 100 Continue). */
export function parseResponse(raw: string): { status: number; headers: Record<string, string>; body: unknown } {
  const responses = raw.split(/(?=HTTP\/1\.1 \d{3} )/).filter((r) => r.startsWith('HTTP/1.1'));
  const last = responses.at(-1) ?? '';
  const [head = '', body = ''] = last.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  let parsed: unknown = body;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not JSON (or cut short); the raw text is the body.
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: parsed };
}
