/**
 * Splits a long document into chunks of at most `maxTokens` tokens on token boundaries, so an
 * embedding model that reads a few hundred tokens still sees the whole text, one chunk at a time.
 * Chunks end at whitespace, where every supported pre-tokenizer splits, so the tokens of a chunk are
 * the document's own tokens there; a run longer than a chunk with no whitespace (CJK without
 * spaces, a very long word) is cut between characters. Consecutive chunks share about `overlap`
 * tokens. Returns character ranges [start, end) into the text, in order.
 */
export interface ChunkRange {
  start: number;
  end: number;
  tokens: number;
}

interface Piece {
  start: number;
  end: number;
  tokens: number;
}

/** Whitespace-separated pieces of the text with their token counts; a piece owns the whitespace before it. */
function pieces(text: string, count: (s: string) => number, maxTokens: number): Piece[] {
  const out: Piece[] = [];
  const re = /\s*\S+/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    const tokens = count(m[0]);
    if (tokens <= maxTokens) out.push({ start, end, tokens });
    else out.push(...splitRun(text, start, end, count, maxTokens));
  }
  return out;
}

/** A run with more tokens than a chunk holds, cut between characters into parts that each fit. */
function splitRun(text: string, start: number, end: number, count: (s: string) => number, maxTokens: number): Piece[] {
  const out: Piece[] = [];
  let from = start;
  while (from < end) {
    // The longest prefix of what is left that still fits, found by bisection over character positions.
    let lo = from + 1;
    let hi = end;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (count(text.slice(from, mid)) <= maxTokens) lo = mid;
      else hi = mid - 1;
    }
    // Never split a surrogate pair.
    if (lo < end && /[\uDC00-\uDFFF]/.test(text.charAt(lo)) && lo - 1 > from) lo--;
    out.push({ start: from, end: lo, tokens: count(text.slice(from, lo)) });
    from = lo;
  }
  return out;
}

export function chunkText(text: string, count: (s: string) => number, maxTokens: number, overlap: number): ChunkRange[] {
  if (!(maxTokens >= 1)) throw new RangeError(`maxTokens must be at least 1, got ${maxTokens}`);
  if (!(overlap >= 0 && overlap < maxTokens)) throw new RangeError(`overlap must be from 0 to maxTokens - 1, got ${overlap}`);
  const all = pieces(text, count, maxTokens);
  if (all.length === 0) return [{ start: 0, end: text.length, tokens: 0 }];
  const chunks: ChunkRange[] = [];
  let first = 0;
  while (first < all.length) {
    let tokens = 0;
    let last = first;
    while (last < all.length && tokens + (all[last] as Piece).tokens <= maxTokens) tokens += (all[last++] as Piece).tokens;
    chunks.push({ start: (all[first] as Piece).start, end: (all[last - 1] as Piece).end, tokens });
    if (last >= all.length) break;
    // Step back over pieces worth at most `overlap` tokens, always moving forward by at least one.
    let back = last;
    let shared = 0;
    while (back - 1 > first && shared + (all[back - 1] as Piece).tokens <= overlap) shared += (all[--back] as Piece).tokens;
    first = back;
  }
  return chunks;
}

/** Each text's chunks as [start, end) character ranges; a text that fits is one chunk, so only long ones pay the per-word counting. */
export function chunkRanges(tokenizer: { encode(text: string): ArrayLike<number> }, texts: readonly string[], maxTokens: number, overlap: number): [number, number][][] {
  const count = (s: string): number => tokenizer.encode(s).length;
  return texts.map((t) => (count(t) <= maxTokens ? [[0, t.length]] : chunkText(t, count, maxTokens, overlap).map((c): [number, number] => [c.start, c.end])));
}
