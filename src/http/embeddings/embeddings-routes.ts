import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import { InvalidArgumentError } from '../../errors.js';
import { shapeVector } from '../../pipelines/embed-pipeline.js';
import type { Service } from '../../service.js';
import { commonShape, useErrorShape } from '../error-reply.js';
import { AnyErrorBody } from '../error-schemas.js';
import { checkInputs, embedTexts } from './embed-texts.js';
import { OpenAiEmbeddingsRequest, OpenAiEmbeddingsResponse } from './schemas.js';
import { teiTokenizeRoutes } from './tei-tokenize-routes.js';
import { teiEmbedRoutes } from './tei-embed-routes.js';

export interface EmbeddingsRoutesOptions {
  service: Service;
  config: Config;
}

const errors = { '4xx': AnyErrorBody, '5xx': AnyErrorBody };

/** Little-endian float32 bytes, as the OpenAI SDK decodes `encoding_format: base64`. */
function base64Vector(v: Float32Array): string {
  const b = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) b.writeFloatLE(v[i] as number, i * 4);
  return b.toString('base64');
}

/**
 * The embeddings family: POST /v1/embeddings (OpenAI's shape, errors in the common shape) and, in a
 * TEI plugin of its own, POST /embed (TEI's shape, TEI's errors).
 */
export async function embeddingsRoutes(fastify: FastifyInstance, { service, config }: EmbeddingsRoutesOptions): Promise<void> {
  useErrorShape(fastify, { metrics: service.metrics, shape: commonShape });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/v1/embeddings',
    { schema: { summary: "Embed texts (OpenAI's shape; the openai SDK works by base URL)", tags: ['embeddings'], body: OpenAiEmbeddingsRequest, response: { 200: OpenAiEmbeddingsResponse, ...errors } } },
    async (req, reply) => {
      const { body } = req;
      const ready = service.embedding(body.model);
      if (body.dimensions !== undefined && body.dimensions > ready.dimensions) {
        throw new InvalidArgumentError(`dimensions ${body.dimensions} is more than the model's ${ready.dimensions}.`);
      }
      const texts = checkInputs(body.input, config);
      const out = await embedTexts(ready, texts, { direction: config.truncationDirection, truncate: config.autoTruncate }, req, reply, config);
      // A Matryoshka cut is re-normalised when the model's own vectors are unit length.
      const normalize = ready.model.spec.pooling.normalize;
      return {
        object: 'list' as const,
        data: out.vectors.map((v, index) => {
          const shaped = shapeVector(v, { normalize, dimensions: body.dimensions });
          return { object: 'embedding' as const, index, embedding: body.encoding_format === 'base64' ? base64Vector(shaped) : Array.from(shaped) };
        }),
        model: body.model ?? ready.model.servedName,
        usage: { prompt_tokens: out.tokens, total_tokens: out.tokens },
      };
    },
  );

  await fastify.register(teiEmbedRoutes, { prefix: '/embed', service, config });
  await fastify.register(teiTokenizeRoutes, { prefix: '/tokenize', service, config });
}
