import type { Readable } from 'node:stream';
import { InvalidRequestError, LimitExceededError } from '../../errors.js';

/**
 * Lines of an NDJSON body, parsed, in order, without holding more than one line (of at most
 * `maxLineBytes`) in memory: a bulk load of any size streams through in constant memory, and a
 * body without newlines cannot grow a line without bound. Blank lines are skipped.
 */
export async function* ndjsonLines(body: Readable, maxLineBytes: number): AsyncGenerator<{ line: number; value: unknown }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  const parse = (bytes: Buffer): { line: number; value: unknown } | undefined => {
    line++;
    const text = bytes.toString('utf8').trim();
    if (text === '') return undefined;
    try {
      return { line, value: JSON.parse(text) as unknown };
    } catch (err) {
      throw new InvalidRequestError(`line ${line} is not valid JSON: ${(err as Error).message}`);
    }
  };
  // A failure stops reading without destroying the body: the connection then closes gracefully
  // (transport.ts), after the client has read the error, instead of being reset under it.
  for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
      const piece = chunk.subarray(from, nl);
      if (pendingBytes + piece.length > maxLineBytes) throw tooLong(line + 1, maxLineBytes);
      const parsed = parse(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
      pending = [];
      pendingBytes = 0;
      if (parsed !== undefined) yield parsed;
      from = nl + 1;
    }
    const rest = chunk.subarray(from);
    pendingBytes += rest.length;
    if (pendingBytes > maxLineBytes) throw tooLong(line + 1, maxLineBytes);
    if (rest.length > 0) pending.push(Buffer.from(rest));
  }
  if (pendingBytes > 0) {
    const parsed = parse(Buffer.concat(pending));
    if (parsed !== undefined) yield parsed;
  }
}

function tooLong(line: number, max: number): LimitExceededError {
  return new LimitExceededError(`line ${line} is longer than ${max} bytes; send one document per line.`, 'PAYLOAD_TOO_LARGE');
}
