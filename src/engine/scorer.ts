import type { EncodedPair } from '../text/pair-encoder.js';

export interface ScoreResult {
  /** One raw score per pair, in the order given. */
  scores: Float32Array;
  /** From submission until the first batch holding one of these pairs started. */
  queueSeconds: number;
  /** From that first batch's start until the last one holding these pairs ended. */
  inferenceSeconds: number;
}

/**
 * The seam between the pipeline and whatever runs the model: encoded pairs in, one raw score per
 * pair out. Implementations batch and schedule as they see fit; an aborted signal drops the work.
 */
export interface Scorer {
  score(pairs: readonly EncodedPair[], signal?: AbortSignal): Promise<ScoreResult>;
  /**
   * Throws the error `score` would refuse this many pairs with (e.g. a full queue), so a request
   * that cannot be admitted is turned away before its documents are tokenized.
   */
  admit(pairCount: number): void;
  close(): Promise<void>;
}
