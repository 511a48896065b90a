import type { Metrics } from '../metrics.js';
import { batchExtent, type EncodedSequence } from '../text/sequence.js';
import type { Slot } from './sequence-queue.js';

/** The sequences a batch's slots name, in slot order (row i of the output is slot i's). */
export function sequencesOf<R extends { readonly sequences: readonly EncodedSequence[] }>(slots: readonly Slot<R>[]): EncodedSequence[] {
  return slots.map(({ request, pair }) => request.sequences[pair] as EncodedSequence);
}

/** A dispatched batch's size, padded tokens and padding share, on the batch histograms. */
export function observeBatchShape(metrics: Metrics, label: string, sequences: readonly EncodedSequence[]): void {
  const { longest, real } = batchExtent(sequences);
  const padded = sequences.length * longest;
  metrics.batchPairs.observe({ model: label }, sequences.length);
  metrics.batchTokens.observe({ model: label }, padded);
  metrics.paddingRatio.observe({ model: label }, padded === 0 ? 0 : (padded - real) / padded);
}
