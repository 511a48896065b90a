import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { RerankService } from '../service.js';
import { VERSION } from '../version.js';

export interface MetricsRoutesOptions {
  service: RerankService;
}

/**
 * GET /metrics in Prometheus' text format. The model-info gauge is (re)set on each scrape once the
 * model is ready, so it appears exactly when the model can answer and names what is served.
 */
export async function metricsRoutes(app: FastifyInstance, { service }: MetricsRoutesOptions): Promise<void> {
  const { registry, modelInfo } = service.metrics;
  let infoSet = false;
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (_req, reply) => {
      if (!infoSet && service.state === 'ready') {
        const { spec, servedModelName } = service.ready();
        modelInfo.reset();
        modelInfo.set({ model: servedModelName, onnx_file: basename(spec.folder.onnxPath), max_length: String(spec.maxLength), version: VERSION }, 1);
        infoSet = true;
      }
      void reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
}
