import { pino } from 'pino';
import { buildConfig, type RawSettings } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { forgedModel } from '../support/forged-model.js';

/**
 * The real server on a loopback port with a forged cross-encoder, no embedder and no store unless
 * settings name them, a silent log, and ready (model loaded and warmed up): for tests where the socket
 * matters or a client library talks to it by URL.
 */
export async function loopbackServer(settings: RawSettings = {}): Promise<RunningServer> {
  const config = buildConfig({ model: await forgedModel(), embeddingModel: 'none', store: 'none', host: '127.0.0.1', port: '0', ...settings });
  const server = await startServer(config, { logger: pino({ level: 'silent' }) });
  await server.ready;
  return server;
}
