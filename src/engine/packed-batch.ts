import type { EncodedPair } from '../text/pair-encoder.js';
import type { PackedBatch } from './worker-messages.js';

export function packBatch(pairs: readonly EncodedPair[]): PackedBatch {
  const offsets = new Int32Array(pairs.length + 1);
  for (let i = 0; i < pairs.length; i++) offsets[i + 1] = (offsets[i] as number) + (pairs[i] as EncodedPair).ids.length;
  const total = offsets[pairs.length] as number;
  const ids = new Int32Array(total);
  const typeIds = new Uint8Array(total);
  pairs.forEach((p, i) => {
    ids.set(p.ids, offsets[i]);
    typeIds.set(p.typeIds, offsets[i]);
  });
  return { ids, typeIds, offsets };
}

/** The buffers to hand over rather than copy. */
export function batchTransferList(batch: PackedBatch): ArrayBuffer[] {
  return [batch.ids.buffer as ArrayBuffer, batch.typeIds.buffer as ArrayBuffer, batch.offsets.buffer as ArrayBuffer];
}

/** Views into the packed buffers, no copying. */
export function unpackBatch(batch: PackedBatch): EncodedPair[] {
  const pairs: EncodedPair[] = [];
  for (let i = 0; i + 1 < batch.offsets.length; i++) {
    const start = batch.offsets[i] as number;
    const end = batch.offsets[i + 1] as number;
    pairs.push({ ids: batch.ids.subarray(start, end), typeIds: batch.typeIds.subarray(start, end) });
  }
  return pairs;
}
