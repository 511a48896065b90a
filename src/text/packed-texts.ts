/**
 * Texts as UTF-8 bytes in shared memory, outside the JavaScript heap.
 *
 * Why: a request's documents wait seconds on the main thread (cache lookup, queue, tokenizer
 * threads). Held as strings they are young objects that every scavenge in that time copies: with 4
 * clients sending 200 documents of 20,000 characters, 4 MB per request survived each scavenge and the
 * pauses reached 20-30 ms on a 2-core Zen 5 (issue 25). Packed right after parsing, the strings die
 * young (free to collect) and what waits is bytes no collector copies.
 *
 * The bytes are in segments of at most SEGMENT_BYTES (a longer text has one of its own): a fresh
 * allocation of megabytes costs the main thread its page faults (about 3 ms a megabyte on a Zen 5
 * VM), while small ones come from memory the allocator reuses. Segments are shared memory, so a pack,
 * its slices and its selections cross to the tokenizer threads and are cut without a copy.
 */
export interface PackedTexts {
  readonly segments: readonly Uint8Array[];
  /** Per text: its segment, and its first and one-past-last byte there. */
  readonly segment: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
}

const SEGMENT_BYTES = 64 * 1024;

const decoder = new TextDecoder();

/** One pack of `texts`, in order. UTF-8 as Node writes it: a lone surrogate becomes U+FFFD, as in a hash of the string. */
export function packTexts(texts: readonly string[]): PackedTexts {
  const n = texts.length;
  const segment = new Int32Array(n);
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = Buffer.byteLength(texts[i] as string, 'utf8');
    const open = sizes.length - 1;
    if (open < 0 || (sizes[open] as number) + bytes > SEGMENT_BYTES) sizes.push(0);
    const s = sizes.length - 1;
    segment[i] = s;
    start[i] = sizes[s] as number;
    end[i] = (sizes[s] as number) + bytes;
    sizes[s] = end[i] as number;
  }
  const segments = sizes.map((size) => new Uint8Array(new SharedArrayBuffer(size)));
  const writers = segments.map((s) => Buffer.from(s.buffer));
  for (let i = 0; i < n; i++) (writers[segment[i] as number] as Buffer).write(texts[i] as string, start[i] as number, 'utf8');
  return { segments, segment, start, end };
}

export function textCount(p: PackedTexts): number {
  return p.start.length;
}

/** The bytes of text `i`: a view, no copy. */
export function textBytes(p: PackedTexts, i: number): Uint8Array {
  return (p.segments[p.segment[i] as number] as Uint8Array).subarray(p.start[i], p.end[i]);
}

/** Text `i` as a string: made when it is read (tokenizer threads, a response that echoes it), never kept. */
export function textAt(p: PackedTexts, i: number): string {
  return decoder.decode(textBytes(p, i));
}

export function unpackTexts(p: PackedTexts): string[] {
  return Array.from({ length: textCount(p) }, (_, i) => textAt(p, i));
}

/** The texts at `indices`, in that order: the same bytes, carrying only the segments they use. */
export function selectTexts(p: PackedTexts, indices: readonly number[]): PackedTexts {
  const renumber = new Map<number, number>();
  const segments: Uint8Array[] = [];
  const segment = new Int32Array(indices.length);
  indices.forEach((t, i) => {
    const from = p.segment[t] as number;
    let to = renumber.get(from);
    if (to === undefined) {
      to = segments.push(p.segments[from] as Uint8Array) - 1;
      renumber.set(from, to);
    }
    segment[i] = to;
  });
  return { segments, segment, start: Int32Array.from(indices, (t) => p.start[t] as number), end: Int32Array.from(indices, (t) => p.end[t] as number) };
}

/** Texts `start` to `end`, no copy. */
export function sliceTexts(p: PackedTexts, start: number, end: number): PackedTexts {
  const last = Math.min(end, textCount(p));
  if (start === 0 && last === textCount(p)) return p;
  return selectTexts(p, Array.from({ length: Math.max(0, last - start) }, (_, i) => start + i));
}
