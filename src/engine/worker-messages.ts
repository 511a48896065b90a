import type { SessionSettings } from '../runtime/onnx-session.js';

/**
 * Everything that crosses the main <-> inference worker boundary, in one place. Structured clone
 * carries these; the batch's typed arrays travel in the transfer list, so the main thread gives up
 * its copy instead of cloning it.
 */

/** Given to every worker at start (piscina's `workerData`). */
export interface WorkerInit {
  session: SessionSettings;
  /** Shared Int32 fields the main thread reads without a message round trip; see WORKER_STATE. */
  state: SharedArrayBuffer;
}

export const WORKER_STATE = {
  /**
   * 1 while the worker is inside onnxruntime-node's native code (loading or running the session).
   * Terminating a thread there aborts the whole process (a C++ exception on the way out), so the
   * pool reads this before it terminates a hung worker.
   */
  inNative: 0,
  /** Batches the worker has started; a batch's timeout only runs once it has begun. */
  started: 1,
  /** Bytes of the Int32 fields; after them one Float64: Date.now() when the last batch began. */
  bytes: 8,
  totalBytes: 16,
} as const;

/**
 * A batch in compact form: token ids of all pairs end to end, with offsets. Cheaper to move than
 * padded int64 tensors (5 bytes a token against 24), and the worker widens it off the event loop.
 */
export interface PackedBatch {
  ids: Int32Array;
  typeIds: Uint8Array;
  /** Pair i spans [offsets[i], offsets[i + 1]). */
  offsets: Int32Array;
}

/**
 * Test-only: makes the worker fail the way production workers do (a crash, a hang in inference)
 * so the pool's recovery is exercised with real threads. Never set outside tests.
 */
export type TestFault = 'exit' | 'hang';

export interface ScoreTask {
  batch: PackedBatch;
  testFault?: TestFault | undefined;
}

export type ScoreReply =
  | { ok: true; scores: Float32Array; /** Time inside the session, measured in the worker. */ seconds: number }
  /** The worker is alive but the batch failed (model load or inference error); nothing to replace. */
  | { ok: false; message: string };
