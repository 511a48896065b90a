import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from './app.js';
import { redactConfig, type Config } from './config.js';
import { Metrics } from './metrics.js';
import { RerankService, type ScorerFactory } from './service.js';

export interface RunningServer {
  app: FastifyInstance;
  service: RerankService;
  url: string;
  /** Resolves once the model is loaded and warmed up. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  scorerFactory?: ScorerFactory;
}

/**
 * Start-up order: check the model folder (fail fast), listen (so probes see 503 while loading),
 * then create the scorer and warm it up.
 */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: config.logLevel });
  logger.info({ config: redactConfig(config) }, 'starting reranker');
  const service = new RerankService(config, { scorerFactory: opts.scorerFactory, metrics: new Metrics(), log: logger.child({ component: 'cache' }) });
  const spec = service.prepare();
  const app = await buildApp({ config, service, logger });
  const url = await app.listen({ host: config.host, port: config.port });
  logger.info({ url, model: spec.folder.dir, onnx: spec.folder.onnxPath, maxLength: spec.maxLength }, 'listening; loading model');
  const started = Date.now();
  const ready = service.start().then(() => logger.info({ ms: Date.now() - started }, 'model ready'));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      service.drain();
      await app.close();
      await ready.catch(() => undefined);
      await service.close();
    })();
    return closing;
  };
  return { app, service, url, ready, close };
}

/** SIGTERM/SIGINT: stop taking work, let in-flight requests finish within the bound, then exit. */
export function handleSignals(server: RunningServer, config: Config, logger: Logger): void {
  const onSignal = (signal: string): void => {
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('in-flight requests did not finish in time; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    server.close().then(
      () => {
        logger.info('shut down cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
