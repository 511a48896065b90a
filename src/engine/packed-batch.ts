import type { EncodedSequence } from '../text/sequence.js';
import type { PackedBatch } from './worker-messages.js';

export function packBatch(sequences: readonly EncodedSequence[]): PackedBatch {
  const offsets = new Int32Array(sequences.length + 1);
  for (let i = 0; i < sequences.length; i++) offsets[i + 1] = (offsets[i] as number) + (sequences[i] as EncodedSequence).ids.length;
  const total = offsets[sequences.length] as number;
  const ids = new Int32Array(total);
  const typeIds = new Uint8Array(total);
  sequences.forEach((p, i) => {
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
export function unpackBatch(batch: PackedBatch): EncodedSequence[] {
  const out: EncodedSequence[] = [];
  for (let i = 0; i + 1 < batch.offsets.length; i++) {
    const start = batch.offsets[i] as number;
    const end = batch.offsets[i + 1] as number;
    out.push({ ids: batch.ids.subarray(start, end), typeIds: batch.typeIds.subarray(start, end) });
  }
  return out;
}

/** Several packed batches end to end, in order. */
export function concatBatches(parts: readonly PackedBatch[]): PackedBatch {
  if (parts.length === 1) return parts[0] as PackedBatch;
  return packBatch(parts.flatMap((p) => unpackBatch(p)));
}
