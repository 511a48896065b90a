import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import { shapeVector } from '../../pipelines/embed-pipeline.js';
import type { Service } from '../../service.js';
import { notFoundHandler, teiShape, useErrorShape } from '../error-reply.js';
import { AnyErrorBody } from '../error-schemas.js';
import { truncationDirection } from '../truncation-direction.js';
import { checkInputs, embedTexts } from './embed-texts.js';
import { TeiEmbedRequest, TeiEmbedResponse } from './schemas.js';

export interface TeiEmbedRoutesOptions {
  service: Service;
  config: Config;
}

const errors = { '4xx': AnyErrorBody, '5xx': AnyErrorBody };

/**
 * POST /embed, Hugging Face TEI's route, registered with the prefix /embed: this instance is TEI's, so
 * every error under it answers `{error, error_type}`, a body that is not JSON and a 404 for another
 * method included (TEI's clients read nothing else).
 */
export async function teiEmbedRoutes(fastify: FastifyInstance, { service, config }: TeiEmbedRoutesOptions): Promise<void> {
  useErrorShape(fastify, { metrics: service.metrics, shape: teiShape });
  fastify.setNotFoundHandler(notFoundHandler(service.metrics, teiShape));
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/',
    // The prefix alone, /embed: not /embed/ as well.
    { prefixTrailingSlash: 'no-slash', schema: { summary: "Embed texts (Hugging Face TEI's shape)", tags: ['embeddings'], body: TeiEmbedRequest, response: { 200: TeiEmbedResponse, ...errors } } },
    async (req, reply) => {
      const { body } = req;
      const ready = service.embedding();
      const texts = checkInputs(body.inputs, config);
      const direction = truncationDirection(body.truncation_direction, config.truncationDirection);
      const out = await embedTexts(ready, texts, { direction, truncate: body.truncate ?? config.autoTruncate }, req, reply, config);
      const normalize = body.normalize ?? true;
      return out.vectors.map((v) => Array.from(shapeVector(v, { normalize })));
    },
  );
}
