import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import { InvalidArgumentError } from '../../errors.js';
import { pickModel } from '../../models/model-names.js';
import type { LoadedModel } from '../../models/registry.js';
import type { Service } from '../../service.js';
import { tokenSpans } from '../../text/token-spans.js';
import { notFoundHandler, teiShape, useErrorShape } from '../error-reply.js';
import { AnyErrorBody } from '../error-schemas.js';
import { checkInputs } from './embed-texts.js';
import { TeiTokenizeRequest, TeiTokenizeResponse } from './schemas.js';

export interface TeiTokenizeRoutesOptions {
  service: Service;
  config: Config;
}

const errors = { '4xx': AnyErrorBody, '5xx': AnyErrorBody };

/**
 * POST /tokenize, Hugging Face TEI's route (issue 24), in TEI's error shape like /embed. TEI serves
 * one model; here `model` picks the embedder by its served name, and anything else (or nothing) is
 * the reranker, with --strict-model-name refusing a name that is neither.
 */
export async function teiTokenizeRoutes(fastify: FastifyInstance, { service, config }: TeiTokenizeRoutesOptions): Promise<void> {
  useErrorShape(fastify, { metrics: service.metrics, shape: teiShape });
  fastify.setNotFoundHandler(notFoundHandler(service.metrics, teiShape));
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/',
    { prefixTrailingSlash: 'no-slash', schema: { summary: "Tokenize texts with a served model's tokenizer (Hugging Face TEI's shape)", tags: ['operations'], body: TeiTokenizeRequest, response: { 200: TeiTokenizeResponse, ...errors } } },
    async (req) => {
      const { body } = req;
      if (body.prompt_name !== undefined && body.prompt_name !== null) throw new InvalidArgumentError('prompt_name is not supported: this service applies no prompts.');
      const texts = checkInputs(body.inputs, config);
      const model = modelFor(service, config, body.model);
      const addSpecial = body.add_special_tokens ?? true;
      return texts.map((text) => tokenSpans(model.spec.tokenizer, text, addSpecial));
    },
  );
}

/** The model a tokenize request names, rerankers and embedders alike (models/model-names.ts); the default reranker otherwise. */
function modelFor(service: Service, config: Config, name: string | undefined): LoadedModel {
  const { rerankers, embedders } = service.ready();
  return pickModel([...rerankers, ...embedders], name, config.strictModelName, 'model').model;
}
