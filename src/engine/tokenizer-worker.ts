import { workerData } from 'node:worker_threads';
import { RerankerError } from '../errors.js';
import { chunkRanges } from '../text/chunking.js';
import { createEncoder } from '../text/encoders.js';
import { packBatch } from './packed-batch.js';
import type { TokenizeReply, TokenizerInit, TokenizerTask } from './worker-messages.js';
import { lowerThisThreadPriority } from './thread-priority.js';

/*
 * Entry of one tokenizer worker thread (loaded by piscina from dist/). Tokenizing a request of long
 * documents takes tens of milliseconds; here it blocks no one's /health probe.
 */

const init = workerData as TokenizerInit;
lowerThisThreadPriority(init.nice);
const encoders = init.models.map((recipe) => createEncoder(recipe));

export default function tokenize(task: TokenizerTask): TokenizeReply {
  const encoder = encoders[task.model];
  if (encoder === undefined) return { ok: false, message: `no tokenizer for model ${task.model}` };
  try {
    if ('chunk' in task) {
      const { texts, maxTokens, overlap } = task.chunk;
      return { ok: true, ranges: chunkRanges(encoder.tokenizer, texts, maxTokens, overlap) };
    }
    return { ok: true, batch: packBatch(encoder.encodeJob(task.job)) };
  } catch (err) {
    if (err instanceof RerankerError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
