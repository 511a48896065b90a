import { DeadlineExceededError, NotReadyError, OverloadedError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { EncodedPair } from '../text/pair-encoder.js';
import type { BatchLimits } from './batch-plan.js';
import { PairQueue, type QueuedRequest, type Slot } from './pair-queue.js';
import type { ScoreResult, Scorer } from './scorer.js';
import type { BatchRunner } from './worker-pool.js';

export interface BatcherOptions extends BatchLimits {
  /** Longest a partial batch waits for more pairs. */
  batchWaitMs: number;
  /** Pairs allowed to wait; a request that would pass it is refused at once. */
  maxQueuePairs: number;
  /**
   * Work allowed to wait, in milliseconds at the pool's recent pace: a request arriving behind more
   * is refused. This bounds how long the backlog outlives a burst, whatever the hardware's speed.
   */
  maxQueueMs: number;
}

interface Waiter extends QueuedRequest {
  readonly scores: Float32Array;
  /** Pairs not yet scored (queued or in a running batch). */
  unscored: number;
  startedAt: number | undefined;
  settled: boolean;
  resolve(result: ScoreResult): void;
  reject(err: unknown): void;
  detach(): void;
}

/** Deadlines and disconnects are told apart by the signal's reason (see http/request-signal.ts). */
function abortReason(reason: unknown): 'deadline' | 'client_gone' {
  const timedOut = reason instanceof DeadlineExceededError || (reason instanceof Error && reason.name === 'TimeoutError');
  return timedOut ? 'deadline' : 'client_gone';
}

/**
 * The dynamic batcher: pairs of concurrent requests queue here on the main thread, where the queue
 * can be bounded and reordered, and leave as length-sorted batches only when a worker is free.
 * Results scatter back to their requests; a request settles when its last pair is scored.
 */
export class BatchingScorer implements Scorer {
  private readonly queue: PairQueue<Waiter>;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private drained: (() => void) | undefined;
  /** Recent pairs per second of the whole pool, for Retry-After. */
  private pairsPerSecond = 0;

  constructor(
    private readonly runner: BatchRunner,
    private readonly opts: BatcherOptions,
    private readonly metrics: Metrics,
  ) {
    this.queue = new PairQueue<Waiter>(opts);
  }

  score(pairs: readonly EncodedPair[], signal?: AbortSignal): Promise<ScoreResult> {
    if (this.closing) return Promise.reject(new NotReadyError('The server is shutting down.', 'SHUTTING_DOWN'));
    if (signal?.aborted) {
      this.metrics.rejections.inc({ reason: abortReason(signal.reason) });
      return Promise.reject(signal.reason);
    }
    if (pairs.length === 0) return Promise.resolve({ scores: new Float32Array(0), queueSeconds: 0, inferenceSeconds: 0 });
    try {
      this.admit(pairs.length);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<ScoreResult>((resolve, reject) => {
      const onAbort = (): void => this.abort(waiter, signal?.reason);
      const waiter: Waiter = {
        pairs,
        pending: pairs.map((_, i) => i),
        enqueuedAt: performance.now(),
        scores: new Float32Array(pairs.length),
        unscored: pairs.length,
        startedAt: undefined,
        settled: false,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.add(waiter);
      this.reportDepth();
      this.pump();
    });
  }

  admit(pairCount: number): void {
    if (this.closing) throw new NotReadyError('The server is shutting down.', 'SHUTTING_DOWN');
    // An empty queue takes any request the pair limit allows, so one large request is never starved;
    // otherwise the waiting work, this request included, must fit the time bound.
    const overTime = this.queue.pairs > 0 && this.backlogMs(pairCount) > this.opts.maxQueueMs;
    if (this.queue.pairs + pairCount > this.opts.maxQueuePairs || overTime) {
      this.metrics.rejections.inc({ reason: 'queue_full' });
      throw this.overloaded(pairCount);
    }
  }

  /** Stops taking requests, lets queued and running batches finish, then closes the runner. */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.idle()) await new Promise<void>((resolve) => (this.drained = resolve));
    clearTimeout(this.timer);
    await this.runner.close();
  }

  /** How long the waiting pairs plus `incoming` would take at the recent pace (0 until a batch has run). */
  private backlogMs(incoming: number): number {
    return this.pairsPerSecond > 0 ? ((this.queue.pairs + incoming) / this.pairsPerSecond) * 1000 : 0;
  }

  private overloaded(incoming: number): OverloadedError {
    const waiting = this.queue.pairs;
    // A client told to come back in a second when the queue needs half a minute just adds load.
    const seconds = this.pairsPerSecond > 0 ? Math.ceil(waiting / this.pairsPerSecond) : 1;
    const retryAfter = Math.min(60, Math.max(1, seconds));
    const message =
      incoming > this.opts.maxQueuePairs
        ? `This request has ${incoming} pairs to score, more than the queue holds (${this.opts.maxQueuePairs}); send fewer documents.`
        : `The server is overloaded (${waiting} pairs waiting); retry in ${retryAfter} s.`;
    return new OverloadedError(message, retryAfter);
  }

  private abort(waiter: Waiter, reason: unknown): void {
    if (waiter.settled) return;
    this.metrics.rejections.inc({ reason: abortReason(reason) });
    this.queue.remove(waiter);
    this.reportDepth();
    // Pairs already running finish on their worker; their scores are dropped on arrival.
    this.settle(waiter, reason);
    this.checkDrained();
  }

  private settle(waiter: Waiter, err: unknown, result?: ScoreResult): void {
    if (waiter.settled) return;
    waiter.settled = true;
    waiter.detach();
    if (result !== undefined) waiter.resolve(result);
    else waiter.reject(err);
  }

  /** Dispatches batches while workers are free; a partial batch waits up to batchWaitMs. */
  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight < this.runner.capacity) {
      const next = this.queue.peek();
      if (next === undefined) break;
      const waited = performance.now() - (this.queue.oldestEnqueuedAt ?? 0);
      if (!next.full && waited < this.opts.batchWaitMs) {
        // Kept referenced: it is short, and a caller awaiting a score must not see the process exit.
        this.timer = setTimeout(() => this.pump(), this.opts.batchWaitMs - waited);
        break;
      }
      this.queue.take(next.slots);
      this.reportDepth();
      this.dispatch(next.slots);
    }
    this.checkDrained();
  }

  private dispatch(slots: Slot<Waiter>[]): void {
    const startedAt = performance.now();
    const pairs: EncodedPair[] = [];
    let longest = 0;
    let real = 0;
    for (const { request, pair } of slots) {
      const p = request.pairs[pair] as EncodedPair;
      pairs.push(p);
      longest = Math.max(longest, p.ids.length);
      real += p.ids.length;
      if (request.startedAt === undefined) {
        request.startedAt = startedAt;
        this.metrics.stageDuration.observe({ stage: 'queue_wait' }, (startedAt - request.enqueuedAt) / 1000);
      }
    }
    const padded = pairs.length * longest;
    this.metrics.batchPairs.observe(pairs.length);
    this.metrics.batchTokens.observe(padded);
    this.metrics.paddingRatio.observe(padded === 0 ? 0 : (padded - real) / padded);
    this.inFlight++;
    this.runner
      .run(pairs)
      .then(
        (out) => {
          const now = performance.now();
          this.metrics.pairsScored.inc(pairs.length);
          this.metrics.stageDuration.observe({ stage: 'inference' }, out.seconds);
          this.notePace(pairs.length, (now - startedAt) / 1000);
          slots.forEach(({ request, pair }, row) => {
            if (request.settled) return;
            request.scores[pair] = out.scores[row] as number;
            if (--request.unscored === 0) {
              const first = request.startedAt ?? startedAt;
              this.settle(request, undefined, { scores: request.scores, queueSeconds: (first - request.enqueuedAt) / 1000, inferenceSeconds: (now - first) / 1000 });
            }
          });
        },
        (err: unknown) => {
          // A request with any pair in a failed batch fails whole; its other queued pairs go too.
          for (const { request } of slots) {
            if (request.settled) continue;
            this.queue.remove(request);
            this.settle(request, err);
          }
          this.reportDepth();
        },
      )
      .finally(() => {
        this.inFlight--;
        this.pump();
      });
  }

  private notePace(pairs: number, seconds: number): void {
    if (seconds <= 0) return;
    const rate = (pairs / seconds) * this.runner.capacity;
    this.pairsPerSecond = this.pairsPerSecond === 0 ? rate : 0.8 * this.pairsPerSecond + 0.2 * rate;
  }

  private reportDepth(): void {
    this.metrics.queueDepthPairs.set(this.queue.pairs);
    this.metrics.queueDepthTokens.set(this.queue.tokens);
  }

  private idle(): boolean {
    return this.inFlight === 0 && this.queue.size === 0;
  }

  private checkDrained(): void {
    if (this.drained !== undefined && this.idle()) {
      const done = this.drained;
      this.drained = undefined;
      done();
    }
  }
}
