import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config, TruncationDirection } from '../config.js';
import { InvalidArgumentError, InvalidRequestError, LimitExceededError } from '../errors.js';
import { shapeVector, type Embeddings } from '../pipelines/embed-pipeline.js';
import type { TextTruncation } from '../text/text-encoder.js';
import type { EmbedderReady, Service } from '../service.js';
import { cachePolicy } from './cache-control.js';
import { requestSignal } from './request-signal.js';
import { AnyErrorBody, OpenAiEmbeddingsRequest, OpenAiEmbeddingsResponse, TeiEmbedRequest, TeiEmbedResponse } from './schemas/index.js';
import { serverTiming } from './server-timing.js';

export interface EmbeddingsRoutesOptions {
  service: Service;
  config: Config;
}

const errors = { '4xx': AnyErrorBody, '5xx': AnyErrorBody };

/** The checks every embeddings shape shares, before any tokenization work is spent. */
function checkInputs(inputs: string | string[], config: Config): string[] {
  const texts = typeof inputs === 'string' ? [inputs] : inputs;
  if (texts.length === 0) throw new InvalidRequestError('input must not be empty.', 'EMPTY_INPUT');
  const { maxDocuments, maxDocumentChars } = config.limits;
  if (texts.length > maxDocuments) throw new LimitExceededError(`${texts.length} inputs is over the limit of ${maxDocuments} per request.`, 'TOO_MANY_DOCUMENTS');
  texts.forEach((t, i) => {
    if (t.length > maxDocumentChars) throw new LimitExceededError(`input[${i}] has ${t.length} characters, over the limit of ${maxDocumentChars}.`, 'DOCUMENT_TOO_LONG');
  });
  return texts;
}

/** Little-endian float32 bytes, as the OpenAI SDK decodes `encoding_format: base64`. */
function base64Vector(v: Float32Array): string {
  const b = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) b.writeFloatLE(v[i] as number, i * 4);
  return b.toString('base64');
}

/** POST /v1/embeddings (OpenAI's shape) and POST /embed (TEI's). */
export async function embeddingsRoutes(fastify: FastifyInstance, { service, config }: EmbeddingsRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  async function embed(ready: EmbedderReady, texts: string[], truncation: TextTruncation, req: FastifyRequest, reply: FastifyReply): Promise<Embeddings> {
    const signal = requestSignal(req, reply, config.engine.requestTimeoutMs);
    const out = await ready.pipeline.run({ texts, truncation, signal, cache: cachePolicy(req.headers['cache-control']) });
    req.stats = { items: texts.length, tokens: out.tokens, cached: out.cachedTexts, timings: out.timings };
    void reply.header('server-timing', serverTiming(out.timings));
    return out;
  }

  app.post(
    '/v1/embeddings',
    { schema: { summary: "Embed texts (OpenAI's shape; the openai SDK works by base URL)", tags: ['embeddings'], body: OpenAiEmbeddingsRequest, response: { 200: OpenAiEmbeddingsResponse, ...errors } } },
    async (req, reply) => {
      const { body } = req;
      const ready = service.embedding();
      if (config.strictModelName && body.model !== undefined && body.model !== ready.servedModelName) {
        throw new InvalidArgumentError(`This server embeds with "${ready.servedModelName}", not "${body.model}".`, 'UNKNOWN_MODEL');
      }
      if (body.dimensions !== undefined && body.dimensions > ready.dimensions) {
        throw new InvalidArgumentError(`dimensions ${body.dimensions} is more than the model's ${ready.dimensions}.`);
      }
      const texts = checkInputs(body.input, config);
      const out = await embed(ready, texts, { direction: config.truncationDirection, truncate: config.autoTruncate }, req, reply);
      // A Matryoshka cut is re-normalised when the model's own vectors are unit length.
      const normalize = ready.spec.pooling.normalize;
      return {
        object: 'list' as const,
        data: out.vectors.map((v, index) => {
          const shaped = shapeVector(v, { normalize, dimensions: body.dimensions });
          return { object: 'embedding' as const, index, embedding: body.encoding_format === 'base64' ? base64Vector(shaped) : Array.from(shaped) };
        }),
        model: body.model ?? ready.servedModelName,
        usage: { prompt_tokens: out.tokens, total_tokens: out.tokens },
      };
    },
  );

  app.post(
    '/embed',
    { schema: { summary: "Embed texts (Hugging Face TEI's shape)", tags: ['embeddings'], body: TeiEmbedRequest, response: { 200: TeiEmbedResponse, ...errors } } },
    async (req, reply) => {
      const { body } = req;
      const ready = service.embedding();
      const texts = checkInputs(body.inputs, config);
      const direction = (body.truncation_direction?.toLowerCase() ?? config.truncationDirection) as TruncationDirection;
      const out = await embed(ready, texts, { direction, truncate: body.truncate ?? config.autoTruncate }, req, reply);
      const normalize = body.normalize ?? true;
      return out.vectors.map((v) => Array.from(shapeVector(v, { normalize })));
    },
  );
}
