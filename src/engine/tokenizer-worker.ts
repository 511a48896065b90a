import { workerData } from 'node:worker_threads';
import { RerankerError } from '../errors.js';
import { PairEncoder } from '../text/pair-encoder.js';
import { TextEncoder } from '../text/text-encoder.js';
import { TextTokenizer } from '../text/tokenizer.js';
import { encodeJob } from './encode-job.js';
import { packBatch } from './packed-batch.js';
import { chunkText } from '../text/chunking.js';
import type { TokenizeReply, TokenizerInit, TokenizerTask } from './worker-messages.js';
import { lowerThisThreadPriority } from './thread-priority.js';

/*
 * Entry of one tokenizer worker thread (loaded by piscina from dist/). Tokenizing a request of long
 * documents takes tens of milliseconds; here it blocks no one's /health probe.
 */

const init = workerData as TokenizerInit;
lowerThisThreadPriority();
const encoders = init.models.map((m) => {
  const tokenizer = new TextTokenizer(m.files);
  return m.kind === 'pairs' ? new PairEncoder(tokenizer, m.maxLength) : new TextEncoder(tokenizer, m.maxLength, m.lowercase);
});

export default function tokenize(task: TokenizerTask): TokenizeReply {
  const encoder = encoders[task.model];
  if (encoder === undefined) return { ok: false, message: `no tokenizer for model ${task.model}` };
  try {
    if ('chunk' in task) {
      const { texts, maxTokens, overlap } = task.chunk;
      const count = (s: string): number => encoder.tokenizer.encode(s).length;
      // A text that fits is one chunk: the per-word counting below is only paid by long ones.
      return { ok: true, ranges: texts.map((t) => (count(t) <= maxTokens ? [[0, t.length]] : chunkText(t, count, maxTokens, overlap).map((c) => [c.start, c.end]))) };
    }
    return { ok: true, batch: packBatch(encodeJob(encoder, task.job)) };
  } catch (err) {
    if (err instanceof RerankerError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
