import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from './app.js';
import { redactConfig, type Config } from './config.js';
import { Metrics } from './metrics.js';
import { Service, type EngineFactory } from './service.js';

export interface RunningServer {
  app: FastifyInstance;
  service: Service;
  url: string;
  /** Resolves once the model is loaded and warmed up. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  engineFactory?: EngineFactory;
  /** Why the configured embedding model could not be had, with the fix (the CLI found out while resolving it). */
  embedderProblem?: string;
}

/**
 * Start-up order: check the model folders (fail fast), listen (so probes see 503 while loading),
 * then create the engine and warm every model up.
 */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: config.logLevel });
  logger.info({ config: redactConfig(config) }, 'starting reranker');
  const service = new Service(config, { engineFactory: opts.engineFactory, metrics: new Metrics(), log: logger, embedderProblem: opts.embedderProblem });
  const registry = service.prepare();
  const app = await buildApp({ config, service, logger });
  const url = await app.listen({ host: config.host, port: config.port });
  const said = (role: 'reranker' | 'embedder'): object | null => {
    const m = registry.byRole(role);
    return m === undefined ? null : { model: m.spec.folder.name, kind: m.kind.name, onnx: m.spec.folder.onnxPath, maxLength: m.spec.maxLength, ...m.kind.info(m.spec) };
  };
  logger.info({ url, reranker: said('reranker'), embedder: said('embedder') }, 'listening; loading models');
  logOpenAccess(config, logger);
  // Said once, at start: the embedding routes answer 503 with the same advice.
  if (service.embedderAdvice !== undefined) logger.warn({ advice: service.embedderAdvice }, 'no embedding model: /v1/embeddings, /embed and /search answer 503 EMBEDDER_UNAVAILABLE');
  const started = Date.now();
  const ready = service.start().then(() => logger.info({ ms: Date.now() - started }, 'models ready'));
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

/** Loopback addresses: a sidecar reached only from its own host. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '::ffff:127.0.0.1';
}

/**
 * Without a key every route is open to whoever can reach the port: fine for a sidecar on loopback,
 * worth a warning when the service listens on other interfaces. Said once, at start.
 */
function logOpenAccess(config: Config, logger: Logger): void {
  if (config.access.apiKeys.length > 0) return;
  const where = isLoopback(config.host) ? 'only from this host' : 'from the network';
  const line = { host: config.host, adminKey: config.access.adminApiKeys.length > 0 };
  const msg = `no --api-key: the API is open to anyone who can reach ${config.host}:${config.port} (${where}); set API_KEY to require a key`;
  if (isLoopback(config.host)) logger.info(line, msg);
  else logger.warn(line, msg);
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
