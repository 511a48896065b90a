/** One sequence as the model reads it: special tokens in place, truncated to fit. */
export interface EncodedSequence {
  ids: Int32Array;
  typeIds: Uint8Array;
}
