import { OverloadedError } from '../errors.js';
import type { ModelRole } from '../metrics.js';
import type { BatchLimits } from './batch-plan.js';
import type { QueuedRequest, SequenceQueue } from './sequence-queue.js';

/*
 * The scheduler's types and its backlog arithmetic: how long the waiting work takes at each model's
 * recent pace, which is what admission (--max-queue-ms) and Retry-After are computed from.
 */

export interface SchedulerOptions {
  /** Longest a partial batch waits for more sequences. */
  batchWaitMs: number;
  /** Sequences (of every model) allowed to wait; a request that would pass it is refused at once. */
  maxQueuePairs: number;
  /**
   * Work allowed to wait, in milliseconds at each model's recent pace: a request arriving behind
   * more is refused. This bounds how long the backlog outlives a burst, whatever the hardware's speed.
   */
  maxQueueMs: number;
}

export interface SchedulerModel {
  /** Its `model` label on metrics, and its role (which counter its sequences count on). */
  label: string;
  role: ModelRole;
  limits: BatchLimits;
}

/** Queue capacity held for a request from admission until its sequences are queued or it fails. */
export interface Reservation {
  readonly model: number;
  readonly count: number;
  settled: boolean;
}

export interface ScheduleResult {
  /** rows x width, row-major, in the order given. */
  output: Float32Array;
  width: number;
  /** From submission until the first batch holding one of these sequences started. */
  queueSeconds: number;
  /** From that first batch's start until the last one holding these sequences ended. */
  inferenceSeconds: number;
}

export interface Waiter extends QueuedRequest {
  readonly model: number;
  output: Float32Array | undefined;
  width: number;
  /** Sequences not yet run (queued or in a running batch). */
  unscored: number;
  startedAt: number | undefined;
  settled: boolean;
  resolve(result: ScheduleResult): void;
  reject(err: unknown): void;
  detach(): void;
}

export interface ModelState {
  label: string;
  role: ModelRole;
  /** The runner's lane that runs it (engine/worker-lanes.ts; 0 when there is one), and that lane's workers. */
  lane: number;
  workers: number;
  queue: SequenceQueue<Waiter>;
  /** Admitted but still being tokenized. */
  reserved: number;
  /** Recent sequences per second of its lane's workers on this model; 0 until a batch has run. */
  pace: number;
  /** performance.now() when this model's last batch left; 0 before the first. */
  lastDispatch: number;
  /** A batch of this model has run: a request that then fails alone is its input's fault (engine/batch-isolation.ts). */
  scored: boolean;
}

/** How long the waiting work plus `incoming` sequences of `model` would take at the recent paces. */
export function backlogMs(models: readonly ModelState[], model: number, incoming: number): number {
  let ms = 0;
  models.forEach((m, i) => {
    const items = m.queue.items + m.reserved + (i === model ? incoming : 0);
    if (m.pace > 0) ms += (items / m.pace) * 1000;
  });
  return ms;
}

export function overloadedError(incoming: number, waiting: number, maxQueuePairs: number, backlog: number): OverloadedError {
  // A client told to come back in a second when the queue needs half a minute just adds load.
  const retryAfter = Math.min(60, Math.max(1, Math.ceil(backlog / 1000)));
  const message =
    incoming > maxQueuePairs
      ? `This request has ${incoming} texts to score, more than the queue holds (${maxQueuePairs}); send fewer documents.`
      : `The server is overloaded (${waiting} texts waiting); retry in ${retryAfter} s.`;
  return new OverloadedError(message, retryAfter);
}

/**
 * Pace from the worker's own session time, not wall time since dispatch: a replacement worker
 * loading its model, or a batch waiting for a busy thread, would otherwise look like a slow
 * model and turn requests away for nothing.
 */
export function nextPace(pace: number, rows: number, sessionSeconds: number, capacity: number): number {
  if (sessionSeconds <= 0) return pace;
  const rate = (rows / sessionSeconds) * capacity;
  return pace === 0 ? rate : 0.8 * pace + 0.2 * rate;
}
