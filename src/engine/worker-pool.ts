import { Piscina } from 'piscina';
import { ModelOutputInvalidError, WorkerFailedError } from '../errors.js';
import { ModelRunError } from './batch-isolation.js';
import type { Metrics } from '../metrics.js';
import type { SessionSettings } from '../runtime/onnx-session.js';
import type { EncodedSequence } from '../text/sequence.js';
import { batchTransferList, packBatch } from './packed-batch.js';
import { workerScriptPath } from './worker-script.js';
import { WORKER_STATE, type InferenceReply, type InferenceTask, type WorkerInit } from './worker-messages.js';
import { laneOf, type WorkerLane } from './worker-lanes.js';

export interface BatchOutput {
  /** rows x width, row-major. */
  output: Float32Array;
  width: number;
  /** Time inside the session, as the worker measured it (no queueing, no model load). */
  seconds: number;
}

/** What the scheduler needs from whatever runs batches: how many at once, and running one. */
export interface BatchRunner {
  readonly capacity: number;
  /** Workers split by model (engine/worker-lanes.ts); absent: every worker runs every model. */
  readonly lanes?: readonly WorkerLane[];
  run(model: number, sequences: readonly EncodedSequence[]): Promise<BatchOutput>;
  close(): Promise<void>;
}

export interface WorkerPoolOptions {
  /** One session per model, indexed as the engine indexes its models; `threads` is per worker. */
  models: SessionSettings[];
  /** The workers, by lane: how many of each and which models they run (engine/worker-lanes.ts). */
  lanes: WorkerLane[];
  /** A batch running longer than this marks its worker hung; it is retired and replaced. */
  workerTimeoutMs: number;
  metrics: Metrics;
  /**
   * The worker entry (default: engine/inference-worker.js). Its default export runs one
   * InferenceTask and it reads WorkerInit; the failure tests pass a script that wraps the real one.
   */
  workerScript?: string | undefined;
}

/** One worker thread. Piscina restarts it after a crash; the pool replaces it after a hang. */
interface Slot {
  piscina: Piscina<InferenceTask, InferenceReply>;
  state: Int32Array;
  startedAt: Float64Array;
  busy: boolean;
  lane: number;
}

/**
 * Inference worker threads, one session each. The batcher already decides what runs and when, so
 * each thread is its own single-worker piscina: the pool knows which thread runs which batch and
 * can retire exactly that one when it hangs.
 */
export class WorkerPool implements BatchRunner {
  readonly capacity: number;
  readonly lanes: readonly WorkerLane[];
  private slots: Slot[];
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: WorkerPoolOptions) {
    for (const lane of opts.lanes) if (!Number.isInteger(lane.workers) || lane.workers < 1) throw new Error(`a worker lane needs at least one worker, got ${lane.workers}`);
    this.lanes = opts.lanes;
    this.capacity = this.lanes.reduce((n, l) => n + l.workers, 0);
    this.slots = this.lanes.flatMap((lane, at) => Array.from({ length: lane.workers }, () => this.newSlot(at)));
  }

  /**
   * Runs one batch on a free worker. A batch whose thread dies is run once more on the thread that
   * replaces it (scores are deterministic, so the retry answers exactly as the first run would
   * have); a second death, or a hang, fails the batch with WORKER_FAILED.
   */
  async run(model: number, sequences: readonly EncodedSequence[]): Promise<BatchOutput> {
    if (this.closed) throw new WorkerFailedError('The inference pool is closed.');
    const lane = laneOf(this.lanes, model);
    const slot = this.slots.find((s) => !s.busy && s.lane === lane);
    if (slot === undefined) throw new Error(`all ${this.lanes[lane]?.workers} workers of model ${model}'s lane are busy; the scheduler must not send more batches than workers`);
    slot.busy = true;
    try {
      const first = await this.attempt(slot, model, sequences);
      if (first.kind === 'done') return first.output;
      const retry = await this.attempt(slot, model, sequences);
      this.opts.metrics.batchRetries.inc({ outcome: retry.kind === 'done' ? 'answered' : 'failed' });
      if (retry.kind === 'done') return retry.output;
      throw new WorkerFailedError('An inference worker crashed on this batch twice (it was run again on a fresh worker); retry the request.', retry.cause);
    } finally {
      slot.busy = false;
    }
  }

  /** One run of the batch on the slot's current thread; a crash is returned so that run() can try once more. */
  private async attempt(slot: Slot, model: number, sequences: readonly EncodedSequence[]): Promise<{ kind: 'done'; output: BatchOutput } | { kind: 'crashed'; cause: unknown }> {
    // Packed per attempt: the first attempt's buffers went to the thread that died.
    const batch = packBatch(sequences);
    const startedBefore = Atomics.load(slot.state, WORKER_STATE.started);
    const task = slot.piscina.run({ model, batch }, { transferList: batchTransferList(batch) });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      const watch = (): void => {
        // A fresh worker may still be loading its session; the batch's clock starts when it does.
        const begun = Atomics.load(slot.state, WORKER_STATE.started) !== startedBefore;
        const left = begun ? (slot.startedAt[0] as number) + this.opts.workerTimeoutMs - Date.now() : this.opts.workerTimeoutMs;
        if (begun && left <= 0) return resolve('timeout');
        timer = setTimeout(watch, left);
        // The busy worker keeps the process alive; this timer only watches it.
        timer.unref();
      };
      watch();
    });
    let reply: InferenceReply | 'timeout';
    try {
      reply = await Promise.race([task, timedOut]);
    } catch (err) {
      if (this.closed) throw new WorkerFailedError('The inference pool closed during the batch.', err);
      // The thread died; piscina has already started its replacement in this slot.
      this.opts.metrics.workerRestarts.inc({ reason: 'crash' });
      return { kind: 'crashed', cause: err };
    } finally {
      clearTimeout(timer);
    }
    if (reply === 'timeout') {
      this.opts.metrics.workerRestarts.inc({ reason: 'hang' });
      this.replace(slot, task);
      throw new WorkerFailedError(`An inference worker ran one batch for over ${this.opts.workerTimeoutMs} ms and was replaced; retry the request.`);
    }
    if (!reply.ok) throw reply.invalid === true ? new ModelOutputInvalidError(reply.message) : new ModelRunError(`inference failed in a worker: ${reply.message}`);
    return { kind: 'done', output: { output: reply.output, width: reply.width, seconds: reply.seconds } };
  }

  /**
   * Stops the workers, and waits for retired ones at most RETIRED_GRACE_MS: a thread stuck in a
   * native run cannot be stopped (terminating it there aborts the process) and its batch has failed
   * already, so shutdown goes on without it. Every caller waits for the same close.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, RETIRED_GRACE_MS)));
      await Promise.all([...this.slots.map((s) => s.piscina.destroy()), Promise.race([Promise.all(this.retiring), grace])]);
      clearTimeout(timer);
    })();
    return this.closing;
  }

  private newSlot(lane: number): Slot {
    const state = new SharedArrayBuffer(WORKER_STATE.totalBytes);
    const { models, nice } = this.lanes[lane] as WorkerLane;
    const workerData: WorkerInit = { models: this.opts.models.map((m, i) => (models.includes(i) ? m : null)), nice, state };
    const piscina = new Piscina<InferenceTask, InferenceReply>({
      filename: this.opts.workerScript ?? workerScriptPath('inference-worker'),
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      // The Atomics wait loop would block the worker's event loop between batches, and with it
      // the session a fresh worker loads in the background.
      atomics: 'disabled',
      workerData,
    });
    // A worker that dies between batches fails no request; piscina replaces it and reports it here
    // (unheard, the 'error' event would crash the process).
    piscina.on('error', () => this.opts.metrics.workerRestarts.inc({ reason: 'crash' }));
    return { piscina, state: new Int32Array(state, 0, WORKER_STATE.bytes / 4), startedAt: new Float64Array(state, WORKER_STATE.bytes, 1), busy: false, lane };
  }

  /**
   * A fresh worker takes the slot at once. The old thread is terminated now if it is stuck in
   * JavaScript, but inside the session it is left to finish first: terminating it there would
   * abort the process. A run that never returns keeps its thread until exit; nothing else can stop it.
   */
  private replace(slot: Slot, task: Promise<InferenceReply>): void {
    const at = this.slots.indexOf(slot);
    if (at !== -1) this.slots[at] = this.newSlot(slot.lane);
    const settled = Atomics.load(slot.state, WORKER_STATE.inNative) === 1 ? task.then(noop, noop) : Promise.resolve();
    const retired = settled.then(() => slot.piscina.destroy()).catch(noop);
    task.catch(noop);
    this.retiring.add(retired);
    void retired.finally(() => this.retiring.delete(retired));
  }
}

function noop(): void {}

/** How long close() waits for retired workers to finish their runs before it leaves them behind. */
const RETIRED_GRACE_MS = 1000;
