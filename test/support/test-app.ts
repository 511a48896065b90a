import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { buildConfig, type Config, type RawSettings } from '../../src/config.js';
import { Service } from '../../src/service.js';
import type { ForgeOptions } from '../../src/tools/forge/index.js';
import { forgedModel } from './forged-model.js';

export interface TestApp {
  app: FastifyInstance;
  service: Service;
  config: Config;
  modelDir: string;
  close(): Promise<void>;
}

/**
 * The real app on a forged cross-encoder, started and warmed up; `inject` talks to it without a
 * socket. No embedding model unless settings name one (see forgedEmbedder).
 */
export async function testApp(settings: RawSettings = {}, model: Omit<ForgeOptions, 'out'> = {}, start = true): Promise<TestApp> {
  const modelDir = await forgedModel(model);
  // No store unless a test asks for one: opening PGlite takes seconds, and one data directory is one process's.
  const config = buildConfig({ model: modelDir, embeddingModel: 'none', store: 'none', ...settings });
  const service = new Service(config);
  service.prepare();
  if (start) await service.start();
  const app = await buildApp({ config, service });
  await app.ready();
  return {
    app,
    service,
    config,
    modelDir,
    close: async () => {
      await app.close();
      await service.close();
    },
  };
}

/** A forged sentence-transformers embedder folder (embed-tiny unless told otherwise). */
export function forgedEmbedder(opts: Omit<ForgeOptions, 'out'> = {}): Promise<string> {
  return forgedModel({ preset: 'embed-tiny', ...opts });
}
