/** One sequence as the model reads it: special tokens in place, truncated to fit. */
export interface EncodedSequence {
  ids: Int32Array;
  typeIds: Uint8Array;
}

/** A batch's longest sequence and its real tokens: what padding it to one length costs. */
export function batchExtent(sequences: readonly EncodedSequence[]): { longest: number; real: number } {
  let longest = 0;
  let real = 0;
  for (const s of sequences) {
    longest = Math.max(longest, s.ids.length);
    real += s.ids.length;
  }
  return { longest, real };
}
