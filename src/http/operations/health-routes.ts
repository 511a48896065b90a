import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { basename, isAbsolute, relative } from 'node:path';
import type { Config } from '../../config.js';
import type { Service } from '../../service.js';
import { VERSION } from '../../version.js';
import { AnyErrorBody } from '../error-schemas.js';
import { modelCards } from './model-cards.js';
import { HealthResponse, InfoResponse, ModelList } from './schemas.js';

/** Relative to the model folder; a file outside it (--precision int8's cache for a read-only folder) by name only: no host paths. */
function shownOnnxFile(dir: string, file: string): string {
  const rel = relative(dir, file);
  return rel.startsWith('..') || isAbsolute(rel) ? `(outside the folder)/${basename(file)}` : rel;
}

export interface HealthRoutesOptions {
  service: Service;
  config: Config;
}

/** /health is the readiness probe: 200 only after the model has loaded and run once. */
export async function healthRoutes(fastify: FastifyInstance, { service, config }: HealthRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/health', { schema: { summary: 'Readiness: 200 once the model is loaded and warmed up, 503 before and while draining', tags: ['operations'], security: [], response: { 200: HealthResponse, 503: HealthResponse } } }, async (_req, reply) => {
    const status: HealthResponse['status'] = service.state === 'ready' ? 'ok' : service.state;
    if (status !== 'ok') void reply.code(503).header('retry-after', '1');
    return { status };
  });

  // OpenAI's model list, which its SDK's models.list() reads (vLLM and Infinity serve the same route).
  app.get('/v1/models', { schema: { summary: 'The loaded models (OpenAI list shape): rerankers and embedders, with kind, precision, limits and memory', tags: ['operations'], response: { 200: ModelList, '5xx': AnyErrorBody } } }, async () => ({
    object: 'list' as const,
    data: modelCards(service.ready(), service.startedAt),
  }));

  app.get('/info', { schema: { summary: 'Served model, limits and version', tags: ['operations'], response: { 200: InfoResponse, '5xx': AnyErrorBody } } }, async () => {
    const ready = service.ready();
    const { reranker, embedder } = ready;
    const { model } = reranker;
    const { spec } = model;
    // Read at load (models/registry.ts): the settings, else the kind's budget for the file's precision.
    const { limits } = model;
    return {
      model_id: model.servedName,
      onnx_file: shownOnnxFile(spec.folder.dir, spec.folder.onnxPath),
      // A reranker kind's own fields: its labels (the schema names them).
      ...(model.kind.info(spec) as Pick<InfoResponse, 'model_type' | 'num_labels' | 'prompt'>),
      max_input_length: spec.maxLength,
      max_client_batch_size: config.limits.maxDocuments,
      max_batch_tokens: limits.maxBatchTokens,
      max_batch_size: limits.maxBatchSize,
      max_body_bytes: config.limits.maxBodyBytes,
      max_document_chars: config.limits.maxDocumentChars,
      auto_truncate: config.autoTruncate,
      embedding_model:
        embedder === undefined
          ? null
          : {
              model_id: embedder.model.servedName,
              onnx_file: shownOnnxFile(embedder.model.spec.folder.dir, embedder.model.spec.folder.onnxPath),
              dimensions: embedder.dimensions,
              max_input_length: embedder.model.spec.maxLength,
              ...(embedder.model.kind.info(embedder.model.spec) as { pooling: string[]; normalize: boolean }),
            },
      models: modelCards(ready, service.startedAt),
      version: VERSION,
    };
  });
}
