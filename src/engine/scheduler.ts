import { NotReadyError, WorkerFailedError, type OverloadedError } from '../errors.js';
import { abortReason } from './abort-reason.js';

export type { Reservation, ScheduleResult, SchedulerModel, SchedulerOptions };
import type { Metrics } from '../metrics.js';
import type { EncodedSequence } from '../text/sequence.js';
import { backlogMs, nextPace, overloadedError, type ModelState, type Reservation, type ScheduleResult, type SchedulerModel, type SchedulerOptions, type Waiter } from './scheduler-backlog.js';
import { SequenceQueue, type Slot } from './sequence-queue.js';
import { isolateBatch, ModelRunError } from './batch-isolation.js';
import { observeBatchShape, sequencesOf } from './batch-shape.js';
import type { BatchOutput, BatchRunner } from './worker-pool.js';
import { laneOf } from './worker-lanes.js';

/**
 * The dynamic batcher: sequences of concurrent requests queue here on the main thread, one queue per
 * model, where they can be bounded and reordered, and leave as length-sorted batches only when a
 * worker is free. Within a model, the oldest request's batch goes first. Between models, the one
 * that has waited longest for a worker goes next (since its oldest sequence arrived or its last
 * batch left, whichever is later): while both have work they take turns, so a search's one-text
 * query embedding waits for one rerank batch, not for a 1000-document rerank queued before it.
 * Where the runner splits its workers into lanes, a model's batches go only to its own lane's.
 * Results scatter back to their requests; a request settles with its last row.
 */
export class Scheduler {
  private readonly models: ModelState[];
  private inFlight = 0;
  /** Batches running per lane of the runner. */
  private readonly laneInFlight: number[];
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(
    models: readonly SchedulerModel[],
    private readonly runner: BatchRunner,
    private readonly opts: SchedulerOptions,
    private readonly metrics: Metrics,
  ) {
    const lanes = runner.lanes;
    this.laneInFlight = lanes === undefined ? [0] : lanes.map(() => 0);
    this.models = models.map((m, i) => {
      const lane = lanes === undefined ? 0 : laneOf(lanes, i);
      const workers = lanes === undefined ? runner.capacity : (lanes[lane]?.workers ?? 0);
      return { label: m.label, role: m.role, lane, workers, queue: new SequenceQueue<Waiter>(m.limits), reserved: 0, pace: 0, lastDispatch: 0, scored: false };
    });
  }

  /**
   * Admission, once per request and before any tokenization: holds queue room for `count`
   * sequences, or throws the 429 (or 503 while closing) that turns the request away cheaply.
   */
  reserve(model: number, count: number): Reservation {
    if (this.closing) throw new NotReadyError('The server is shutting down.', 'SHUTTING_DOWN');
    const waiting = this.waiting();
    // An empty queue takes any request the count limit allows, so one large request is never
    // starved; otherwise the waiting work, this request included, must fit the time bound.
    const overTime = waiting > 0 && this.backlogMs(model, count) > this.opts.maxQueueMs;
    if (waiting + count > this.opts.maxQueuePairs || overTime) {
      this.metrics.rejections.inc({ reason: 'queue_full' });
      throw this.overloaded(count, waiting);
    }
    (this.models[model] as ModelState).reserved += count;
    return { model, count, settled: false };
  }

  /** Gives a reservation's room back (its request failed before queueing). */
  release(reservation: Reservation): void {
    if (reservation.settled) return;
    reservation.settled = true;
    (this.models[reservation.model] as ModelState).reserved -= reservation.count;
    this.checkDrained();
  }

  /** Queues a reserved request's sequences; no second admission check. */
  submit(reservation: Reservation, sequences: readonly EncodedSequence[], signal?: AbortSignal): Promise<ScheduleResult> {
    if (reservation.settled) return Promise.reject(new Error('a reservation is used once'));
    if (signal?.aborted || sequences.length === 0) {
      this.release(reservation);
      if (sequences.length === 0) return Promise.resolve({ output: new Float32Array(0), width: 0, queueSeconds: 0, inferenceSeconds: 0 });
      this.metrics.rejections.inc({ reason: abortReason(signal?.reason) });
      return Promise.reject(signal?.reason);
    }
    return new Promise<ScheduleResult>((resolve, reject) => {
      // The reserved room becomes queued sequences in one step, so a closing scheduler never sees it empty in between.
      reservation.settled = true;
      this.state(reservation.model).reserved -= reservation.count;
      const onAbort = (): void => this.abort(waiter, signal?.reason);
      const waiter: Waiter = {
        model: reservation.model,
        sequences,
        pending: sequences.map((_, i) => i),
        enqueuedAt: performance.now(),
        output: undefined,
        width: 0,
        unscored: sequences.length,
        startedAt: undefined,
        settled: false,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.state(waiter.model).queue.add(waiter);
      this.reportDepth();
      this.pump();
    });
  }

  /**
   * Stops taking requests, lets reserved, queued and running work finish, then closes the runner.
   * Every caller waits for the same close (a second one must not replace the first one's wake-up).
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      if (!this.idle()) await new Promise<void>((resolve) => (this.drained = resolve));
      clearTimeout(this.timer);
      await this.runner.close();
    })();
    return this.closed;
  }

  private state(model: number): ModelState {
    return this.models[model] as ModelState;
  }

  private waiting(): number {
    let n = 0;
    for (const m of this.models) n += m.queue.items + m.reserved;
    return n;
  }

  /** How long the waiting work plus `incoming` sequences of `model` would take at the recent paces. */
  private backlogMs(model: number, incoming: number): number {
    return backlogMs(this.models, model, incoming);
  }

  private overloaded(incoming: number, waiting: number): OverloadedError {
    return overloadedError(incoming, waiting, this.opts.maxQueuePairs, this.backlogMs(-1, 0));
  }

  private abort(waiter: Waiter, reason: unknown): void {
    if (waiter.settled) return;
    this.metrics.rejections.inc({ reason: abortReason(reason) });
    this.state(waiter.model).queue.remove(waiter);
    this.reportDepth();
    // Sequences already running finish on their worker; their rows are dropped on arrival.
    this.settle(waiter, reason);
    this.checkDrained();
  }

  private settle(waiter: Waiter, err: unknown, result?: ScheduleResult): void {
    if (waiter.settled) return;
    waiter.settled = true;
    waiter.detach();
    if (result !== undefined) waiter.resolve(result);
    else waiter.reject(err);
  }

  /**
   * Dispatches batches while workers are free, the model whose turn it is first; a partial batch
   * waits up to batchWaitMs for company unless another model has a batch ready.
   */
  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight < this.runner.capacity) {
      const byTurn = this.models
        .map((m, i) => ({ i, m, since: m.queue.oldestEnqueuedAt }))
        // A model whose lane is busy waits for a worker of its own lane, whatever its turn.
        .filter((x): x is { i: number; m: ModelState; since: number } => x.since !== undefined && (this.laneInFlight[x.m.lane] as number) < x.m.workers)
        .sort((a, b) => Math.max(a.since, a.m.lastDispatch) - Math.max(b.since, b.m.lastDispatch));
      let dispatched = false;
      let soonest = Infinity;
      for (const { i, m, since } of byTurn) {
        const next = m.queue.peek();
        if (next === undefined) continue;
        const waited = performance.now() - since;
        if (next.full || waited >= this.opts.batchWaitMs) {
          m.lastDispatch = performance.now();
          m.queue.take(next.slots);
          this.reportDepth();
          this.dispatch(i, next.slots);
          dispatched = true;
          break;
        }
        soonest = Math.min(soonest, this.opts.batchWaitMs - waited);
      }
      if (dispatched) continue;
      // Kept referenced: it is short, and a caller awaiting a result must not see the process exit.
      if (soonest !== Infinity) this.timer = setTimeout(() => this.pump(), soonest);
      break;
    }
    this.checkDrained();
  }

  private dispatch(model: number, slots: Slot<Waiter>[]): void {
    const { label } = this.state(model);
    const startedAt = performance.now();
    for (const { request } of slots) {
      if (request.startedAt !== undefined) continue;
      request.startedAt = startedAt;
      this.metrics.stageDuration.observe({ stage: 'queue_wait', model: label }, (startedAt - request.enqueuedAt) / 1000);
    }
    const sequences = sequencesOf(slots);
    observeBatchShape(this.metrics, label, sequences);
    this.inFlight++;
    (this.laneInFlight[this.state(model).lane] as number)++;
    void this.runBatch(model, sequences)
      .then(
        (out) => this.scored(model, slots, out, startedAt),
        // ONNX Runtime refused the batch: its requests run again apart, so only the one it cannot score fails.
        (err: unknown) => (err instanceof ModelRunError && slots.some((s) => !s.request.settled) ? this.isolate(model, slots, err, startedAt) : this.fail(slots, err)),
      )
      // Only a bug lands here (a runner that broke its contract, the scatter): the batch's requests
      // fail with 503 rather than hang, and nothing is left as an unhandled rejection.
      .catch((err: unknown) => this.fail(slots, new WorkerFailedError('The batch failed inside the service; retry the request.', err)))
      .finally(() => {
        this.inFlight--;
        (this.laneInFlight[this.state(model).lane] as number)--;
        this.pumpOrFail();
      });
  }

  /** A batch's rows scatter back to their requests; a request settles with its last row. */
  private scored(model: number, slots: readonly Slot<Waiter>[], out: BatchOutput, startedAt: number): void {
    const m = this.state(model);
    const now = performance.now();
    m.scored = true;
    this.metrics.countSequences(m.role, m.label, slots.length);
    this.metrics.stageDuration.observe({ stage: 'inference', model: m.label }, out.seconds);
    this.notePace(model, slots.length, out.seconds);
    slots.forEach(({ request, pair }, row) => {
      if (request.settled) return;
      request.width = out.width;
      request.output ??= new Float32Array(request.sequences.length * out.width);
      request.output.set(out.output.subarray(row * out.width, (row + 1) * out.width), pair * out.width);
      if (--request.unscored === 0) {
        const first = request.startedAt ?? startedAt;
        this.settle(request, undefined, { output: request.output, width: request.width, queueSeconds: (first - request.enqueuedAt) / 1000, inferenceSeconds: (now - first) / 1000 });
      }
    });
  }

  /** A request with any sequence in a failed batch fails whole; its other queued sequences go too. */
  private fail(slots: readonly Slot<Waiter>[], err: unknown): void {
    for (const { request } of slots) {
      if (request.settled) continue;
      this.state(request.model).queue.remove(request);
      this.settle(request, err);
    }
    this.reportDepth();
  }

  private async isolate(model: number, slots: readonly Slot<Waiter>[], err: unknown, startedAt: number): Promise<void> {
    const m = this.state(model);
    this.metrics.batchIsolations.inc({ model: m.label });
    const steps = { run: (part: Slot<Waiter>[]) => this.runBatch(model, sequencesOf(part)), scored: (part: Slot<Waiter>[], out: BatchOutput) => this.scored(model, part, out, startedAt), failed: (part: Slot<Waiter>[], e: unknown) => this.fail(part, e) };
    await isolateBatch(slots.filter((s) => !s.request.settled), err, steps, m.scored);
  }

  /** The runner's promise; a runner that throws instead of rejecting broke its contract: 503 for the batch, like a bug below. */
  private runBatch(model: number, sequences: EncodedSequence[]): Promise<BatchOutput> {
    try {
      return this.runner.run(model, sequences);
    } catch (err) {
      return Promise.reject(new WorkerFailedError('The batch failed inside the service; retry the request.', err));
    }
  }

  /** pump() from a promise callback: should it throw, whatever waits fails with 503 instead of hanging. */
  private pumpOrFail(): void {
    try {
      this.pump();
    } catch (err) {
      const failure = new WorkerFailedError('The scheduler failed; retry the request.', err);
      for (const m of this.models) for (const request of m.queue.clear()) this.settle(request, failure);
      this.reportDepth();
      this.checkDrained();
    }
  }

  private notePace(model: number, rows: number, sessionSeconds: number): void {
    const m = this.state(model);
    m.pace = nextPace(m.pace, rows, sessionSeconds, m.workers);
  }

  private reportDepth(): void {
    let items = 0;
    let tokens = 0;
    for (const m of this.models) {
      items += m.queue.items;
      tokens += m.queue.tokens;
      this.metrics.modelQueueDepth.set({ model: m.label }, m.queue.items);
    }
    this.metrics.queueDepthPairs.set(items);
    this.metrics.queueDepthTokens.set(tokens);
  }

  private idle(): boolean {
    return this.inFlight === 0 && this.models.every((m) => m.queue.size === 0 && m.reserved === 0);
  }

  private checkDrained(): void {
    if (this.drained !== undefined && this.idle()) {
      const done = this.drained;
      this.drained = undefined;
      done();
    }
  }
}
