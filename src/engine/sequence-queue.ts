import type { EncodedSequence } from '../text/sequence.js';
import { batchHolding, type BatchLimits } from './batch-plan.js';

/** A request's stake in the queue: its sequences and the ones not yet handed to a worker. */
export interface QueuedRequest {
  readonly sequences: readonly EncodedSequence[];
  /** Sequence indices not yet dispatched, shortest first, so a big request's batches pad little. */
  pending: number[];
  /** performance.now() at submission. */
  readonly enqueuedAt: number;
}

export interface Slot<R> {
  request: R;
  pair: number;
}

export interface NextBatch<R> {
  slots: Slot<R>[];
  /** No more pairs would fit: dispatch without waiting. */
  full: boolean;
}

/**
 * One model's requests in arrival order. A batch is chosen from a window at the head: the window is length-
 * sorted and cut by the batch limits, and the batch holding the oldest pair goes next, so pairs of
 * several requests share batches by length while the head request always makes progress.
 */
export class SequenceQueue<R extends QueuedRequest> {
  /** Insertion-ordered, so a hung-up request leaves in O(1) however long the queue (issue 25). */
  private readonly requests = new Set<R>();
  /** Sequences waiting, over all requests. */
  items = 0;
  tokens = 0;

  constructor(
    private readonly limits: BatchLimits,
    /** Pairs looked at per decision; a few batches' worth lets lengths group without scanning it all. */
    private readonly windowPairs = limits.maxBatchSize * 4,
  ) {}

  get size(): number {
    return this.requests.size;
  }

  /** When the oldest waiting pair arrived, or undefined when empty. */
  get oldestEnqueuedAt(): number | undefined {
    for (const request of this.requests) return request.enqueuedAt;
    return undefined;
  }

  add(request: R): void {
    request.pending.sort((a, b) => this.length(request, a) - this.length(request, b) || a - b);
    this.requests.add(request);
    for (const i of request.pending) this.count(request, i, 1);
  }

  /** Drops the request's undispatched pairs. */
  remove(request: R): void {
    if (!this.requests.delete(request)) return;
    for (const i of request.pending) this.count(request, i, -1);
    request.pending = [];
  }

  /** Removes every request, returning them (the scheduler fails them when it cannot go on). */
  clear(): R[] {
    const all = [...this.requests];
    for (const request of all) this.remove(request);
    return all;
  }

  peek(): NextBatch<R> | undefined {
    const window: Slot<R>[] = [];
    const lengths: number[] = [];
    outer: for (const request of this.requests) {
      for (const pair of request.pending) {
        if (window.length >= this.windowPairs) break outer;
        window.push({ request, pair });
        lengths.push(this.length(request, pair));
      }
    }
    if (window.length === 0) return undefined;
    const held = batchHolding(lengths, this.limits, 0);
    return { slots: held.indices.map((i) => window[i] as Slot<R>), full: held.full || window.length < this.items };
  }

  /** Takes a peeked batch's pairs out of the queue. */
  take(slots: readonly Slot<R>[]): void {
    const taken = new Map<R, Set<number>>();
    for (const { request, pair } of slots) {
      let set = taken.get(request);
      if (set === undefined) taken.set(request, (set = new Set()));
      set.add(pair);
      this.count(request, pair, -1);
    }
    for (const [request, set] of taken) {
      request.pending = request.pending.filter((i) => !set.has(i));
      if (request.pending.length === 0) this.requests.delete(request);
    }
  }

  private length(request: R, pair: number): number {
    return (request.sequences[pair] as EncodedSequence).ids.length;
  }

  private count(request: R, pair: number, sign: 1 | -1): void {
    this.items += sign;
    this.tokens += sign * this.length(request, pair);
  }
}
