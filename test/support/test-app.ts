import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { buildConfig, type Config, type RawSettings } from '../../src/config.js';
import type { ForgeOptions } from '../../src/tools/forge/index.js';
import { RerankService } from '../../src/service.js';
import { forgedModel } from './forged-model.js';

export interface TestApp {
  app: FastifyInstance;
  service: RerankService;
  config: Config;
  modelDir: string;
  close(): Promise<void>;
}

/** The real app on a forged model, started and warmed up; `inject` talks to it without a socket. */
export async function testApp(settings: RawSettings = {}, model: Omit<ForgeOptions, 'out'> = {}, start = true): Promise<TestApp> {
  const modelDir = await forgedModel(model);
  const config = buildConfig({ model: modelDir, ...settings });
  const service = new RerankService(config);
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
