import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { InvalidRequestError, LimitExceededError } from '../../errors.js';
import type { Embeddings } from '../../pipelines/embed-pipeline.js';
import type { EmbedderReady } from '../../service.js';
import type { TextTruncation } from '../../text/text-encoder.js';
import { cachePolicy } from '../cache-control.js';
import { requestSignal } from '../request-signal.js';
import { serverTiming } from '../server-timing.js';

/** The checks every embeddings shape shares, before any tokenization work is spent. */
export function checkInputs(inputs: string | string[], config: Config): string[] {
  const texts = typeof inputs === 'string' ? [inputs] : inputs;
  if (texts.length === 0) throw new InvalidRequestError('input must not be empty.', 'EMPTY_INPUT');
  const { maxDocuments, maxDocumentChars } = config.limits;
  if (texts.length > maxDocuments) throw new LimitExceededError(`${texts.length} inputs is over the limit of ${maxDocuments} per request.`, 'TOO_MANY_DOCUMENTS');
  texts.forEach((t, i) => {
    if (t.length > maxDocumentChars) throw new LimitExceededError(`input[${i}] has ${t.length} characters, over the limit of ${maxDocumentChars}.`, 'DOCUMENT_TOO_LONG');
  });
  return texts;
}

/** Runs the embed pipeline for one request of either shape: its deadline, cache policy, log stats and Server-Timing. */
export async function embedTexts(ready: EmbedderReady, texts: string[], truncation: TextTruncation, req: FastifyRequest, reply: FastifyReply, config: Config): Promise<Embeddings> {
  const signal = requestSignal(req, reply, config.engine.requestTimeoutMs);
  const out = await ready.pipeline.run({ texts, truncation, signal, cache: cachePolicy(req.headers['cache-control']) });
  req.stats = { items: texts.length, tokens: out.tokens, cached: out.cachedTexts, timings: out.timings };
  void reply.header('server-timing', serverTiming(out.timings));
  return out;
}
