import { Piscina } from 'piscina';
import { RerankerError, STATUS_BY_CODE, WorkerFailedError, type ErrorCode } from '../errors.js';
import { jobSize, sliceJob, type EncodeJob } from '../text/encode-job.js';
import { concatBatches } from './packed-batch.js';
import { workerScriptPath } from './worker-script.js';
import type { EncoderRecipe } from '../text/encoders.js';
import type { PackedBatch, TokenizeReply, TokenizerInit, TokenizerTask } from './worker-messages.js';
import { COMPUTE_THREAD_NICE } from './thread-priority.js';

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

/** A reply's payload, or the error it carries (a client error keeps its code). */
function checked(reply: TokenizeReply): Extract<TokenizeReply, { ok: true }> {
  if (reply.ok) return reply;
  if (reply.code !== undefined && reply.code in STATUS_BY_CODE) throw new RerankerError(reply.code as ErrorCode, reply.message);
  throw new Error(`tokenization failed: ${reply.message}`);
}

/**
 * Tokenizer threads: the main thread never tokenizes, so a request of long documents cannot stall
 * /health or anyone else's response. Each thread holds every model's tokenizer.
 */
export class TokenizerPool {
  private readonly piscina: Piscina<TokenizerTask, TokenizeReply>;

  constructor(
    models: EncoderRecipe[],
    private readonly threads: number,
    nice = COMPUTE_THREAD_NICE,
  ) {
    this.piscina = new Piscina<TokenizerTask, TokenizeReply>({
      filename: workerScriptPath('tokenizer-worker'),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity,
      workerData: { models, nice } satisfies TokenizerInit,
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
    const tasks: TokenizerTask[] = [];
    for (let start = 0; start < size; start += CHUNK) tasks.push({ model, job: sliceJob(job, start, start + CHUNK) });
    const replies = await this.run(tasks, signal);
    return concatBatches(
      replies.map((ok) => {
        if (!('batch' in ok)) throw new Error('a tokenizer thread answered an encode task with chunks');
        return ok.batch;
      }),
    );
  }

  /** Chunk ranges of each text (see text/chunking.ts), computed on a tokenizer thread. */
  async chunk(model: number, texts: string[], maxTokens: number, overlap: number, signal?: AbortSignal): Promise<[number, number][][]> {
    const tasks: TokenizerTask[] = [];
    for (let start = 0; start < texts.length; start += CHUNK) tasks.push({ model, chunk: { texts: texts.slice(start, start + CHUNK), maxTokens, overlap } });
    const replies = await this.run(tasks, signal);
    return replies.flatMap((ok) => {
      if (!('ranges' in ok)) throw new Error('a tokenizer thread answered a chunk task with ids');
      return ok.ranges;
    });
  }

  /** The tasks' payloads in order; a thread that dies is a 503, an aborted signal its own reason. */
  private async run(tasks: TokenizerTask[], signal: AbortSignal | undefined): Promise<Extract<TokenizeReply, { ok: true }>[]> {
    let replies: TokenizeReply[];
    try {
      replies = await unlessAborted(this.inTurn(tasks), signal);
    } catch (err) {
      if (signal?.aborted && err === signal.reason) throw err;
      throw new WorkerFailedError('A tokenizer thread failed; retry the request.', err);
    }
    return replies.map(checked);
  }

  /**
   * A job's tasks, at most one per thread queued at a time, in order. piscina's queue is first in,
   * first out: queued all at once, a 3,500-text ingest would put a one-text search query behind 28
   * tasks (measured: 675 ms before its first token); this way it waits for at most one chunk each.
   */
  private async inTurn(tasks: TokenizerTask[]): Promise<TokenizeReply[]> {
    const replies = new Array<TokenizeReply>(tasks.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let i = next++; i < tasks.length; i = next++) replies[i] = await this.piscina.run(tasks[i] as TokenizerTask);
    };
    await Promise.all(Array.from({ length: Math.min(this.threads, tasks.length) }, lane));
    return replies;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
