import type { EncodedPair } from '../model/pair-encoder.js';

/**
 * The seam between the pipeline and whatever runs the model: encoded pairs in, one raw score per
 * pair out, in the order given. Implementations batch and schedule as they see fit.
 */
export interface Scorer {
  score(pairs: readonly EncodedPair[], signal?: AbortSignal): Promise<Float32Array>;
  close(): Promise<void>;
}
