import { Piscina } from 'piscina';
import { RerankerError, STATUS_BY_CODE, WorkerFailedError, type ErrorCode } from '../errors.js';
import { jobSize, sliceJob, type EncodeJob } from './encode-job.js';
import { concatBatches } from './packed-batch.js';
import { workerScriptPath } from './worker-script.js';
import type { PackedBatch, TokenizeReply, TokenizeTask, TokenizerModel } from './worker-messages.js';

/** Texts per task: a 1000-document request spreads over the threads, and a small one stays whole. */
const CHUNK = 128;

/** Resolves `work`, or rejects with the signal's reason as soon as it aborts (the work runs on). */
export async function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stop]);
  } finally {
    signal.removeEventListener('abort', onAbort as () => void);
    stop.catch(() => undefined);
    work.catch(() => undefined);
  }
}

/**
 * Tokenizer threads: the main thread never tokenizes, so a request of long documents cannot stall
 * /health or anyone else's response. Each thread holds every model's tokenizer.
 */
export class TokenizerPool {
  private readonly piscina: Piscina<TokenizeTask, TokenizeReply>;

  constructor(models: TokenizerModel[], threads: number) {
    this.piscina = new Piscina<TokenizeTask, TokenizeReply>({
      filename: workerScriptPath('tokenizer-worker'),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity,
      workerData: { models },
    });
    // A thread that dies is replaced by piscina; its task rejects and that request fails alone.
    this.piscina.on('error', () => undefined);
  }

  /**
   * Token ids of a job in job order. An aborted signal stops the wait; a task already running is
   * left to finish, since piscina would terminate the thread (and its loaded tokenizers) to stop it.
   */
  async encode(model: number, job: EncodeJob, signal?: AbortSignal): Promise<PackedBatch> {
    const size = jobSize(job);
    const tasks: Promise<TokenizeReply>[] = [];
    for (let start = 0; start < size; start += CHUNK) tasks.push(this.piscina.run({ model, job: sliceJob(job, start, start + CHUNK) }));
    let replies: TokenizeReply[];
    try {
      replies = await unlessAborted(Promise.all(tasks), signal);
    } catch (err) {
      if (signal?.aborted && err === signal.reason) throw err;
      throw new WorkerFailedError('A tokenizer thread failed; retry the request.', err);
    }
    const batches: PackedBatch[] = [];
    for (const reply of replies) {
      if (!reply.ok) {
        if (reply.code !== undefined && reply.code in STATUS_BY_CODE) throw new RerankerError(reply.code as ErrorCode, reply.message);
        throw new Error(`tokenization failed: ${reply.message}`);
      }
      batches.push(reply.batch);
    }
    return concatBatches(batches);
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
