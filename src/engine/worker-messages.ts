import type { SessionSettings } from '../runtime/onnx-session.js';
import type { EncodeJob } from '../text/encode-job.js';
import type { EncoderRecipe } from '../text/encoders.js';

/**
 * Everything that crosses the main <-> worker boundaries (inference and tokenizer workers), in one
 * place. Structured clone carries these; typed arrays travel in the transfer list, so the sender
 * gives up its copy instead of cloning it.
 */

/** Given to every inference worker at start (piscina's `workerData`). */
export interface WorkerInit {
  /** One session per model, indexed as the engine indexes its models; null for a model of another lane. */
  models: (SessionSettings | null)[];
  /** The thread's nice value (its lane's, engine/worker-lanes.ts). */
  nice: number;
  /** Shared Int32 fields the main thread reads without a message round trip; see WORKER_STATE. */
  state: SharedArrayBuffer;
}

export const WORKER_STATE = {
  /**
   * 1 while the worker is inside onnxruntime-node's native code (loading or running a session).
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
 * Sequences in compact form: token ids end to end, with offsets. Cheaper to move than padded int64
 * tensors (5 bytes a token against 24), and the worker widens them off the event loop.
 */
export interface PackedBatch {
  ids: Int32Array;
  typeIds: Uint8Array;
  /** Sequence i spans [offsets[i], offsets[i + 1]). */
  offsets: Int32Array;
}

export interface InferenceTask {
  model: number;
  batch: PackedBatch;
}

export type InferenceReply =
  | { ok: true; output: Float32Array; width: number; /** Time inside the session, measured in the worker. */ seconds: number }
  /** The worker is alive but the batch failed; `invalid` marks a NaN or infinite output. */
  | { ok: false; message: string; invalid?: boolean };

/** Given to every tokenizer thread at start: each model's encoder, rebuilt there (text/encoders.ts). */
export interface TokenizerInit {
  models: EncoderRecipe[];
  nice: number;
}

export interface TokenizeTask {
  model: number;
  job: EncodeJob;
}

/** Split long texts into chunks of at most maxTokens tokens (see text/chunking.ts). */
export interface ChunkTask {
  model: number;
  chunk: { texts: string[]; maxTokens: number; overlap: number };
}

export type TokenizerTask = TokenizeTask | ChunkTask;

export type TokenizeReply =
  | { ok: true; batch: PackedBatch }
  /** Per text, its chunks' [start, end) character ranges. */
  | { ok: true; ranges: [number, number][][] }
  /** A client error (e.g. INPUT_TOO_LONG) keeps its code across the thread boundary. */
  | { ok: false; code?: string; message: string };

