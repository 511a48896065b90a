import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AccessSettings } from '../config.js';
import { UnauthorizedError } from '../errors.js';
import type { AuthFailureReason, Metrics } from '../metrics.js';

/**
 * Who may call a route: `open` needs no key, `api` (the default) any key, `admin` an admin key
 * when admin keys are set. Routes that change stored data say `admin` in their config.
 */
export type RouteAccess = 'open' | 'api' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

/**
 * Readiness, metrics and the API description are open: probes and scrapers carry no key, and the
 * spec and Swagger UI say nothing the README does not (trying a route from /docs still needs a key).
 */
const OPEN_PATHS = new Set(['/health', '/metrics', '/openapi.json']);
const isOpenPath = (url: string): boolean => OPEN_PATHS.has(url) || url === '/docs' || url.startsWith('/docs/');

export interface AccessOptions {
  access: AccessSettings;
  metrics: Metrics;
}

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

/**
 * Whether the presented key is one of `keys`. Both sides are hashed first, so every comparison is
 * of 32 bytes whatever the lengths, and every key is compared (no early exit): the time taken says
 * nothing about how much of a key was right, or which one matched.
 */
function oneOf(presented: Buffer, keys: readonly Buffer[]): boolean {
  let found = false;
  for (const key of keys) found = timingSafeEqual(presented, key) || found;
  return found;
}

/** The token of `Authorization: Bearer <token>`; undefined when there is none. */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header.trim());
  return m?.[1];
}

const MESSAGE = 'Send a valid API key as Authorization: Bearer <key>.';

/**
 * API keys (--api-key, --admin-api-key), checked in onRequest: before the body is read, so a
 * caller without a key cannot make the service parse anything. A refusal is counted by reason; the
 * key itself is never logged, echoed or kept.
 */
export const accessPlugin = fp(async (app: FastifyInstance, { access, metrics }: AccessOptions) => {
  const apiKeys = access.apiKeys.map(digest);
  const adminKeys = access.adminApiKeys.map(digest);
  if (apiKeys.length === 0 && adminKeys.length === 0) return;
  const refuse = (reason: AuthFailureReason): UnauthorizedError => {
    metrics.authFailures.inc({ reason });
    return reason === 'forbidden'
      ? new UnauthorizedError('This route changes stored data and needs an admin key (--admin-api-key).', 'FORBIDDEN')
      : new UnauthorizedError(MESSAGE);
  };
  app.addHook('onRequest', async (request, reply) => {
    const url = request.url.split('?')[0] ?? '';
    const wanted: RouteAccess = isOpenPath(url) ? 'open' : (request.routeOptions.config?.access ?? 'api');
    const needsAdmin = wanted === 'admin' && adminKeys.length > 0;
    if (wanted === 'open' || (!needsAdmin && apiKeys.length === 0)) return;
    const token = bearerToken(request);
    if (token === undefined) {
      void reply.header('www-authenticate', 'Bearer');
      throw refuse('missing');
    }
    const presented = digest(token);
    const admin = oneOf(presented, adminKeys);
    if (admin) return;
    if (!oneOf(presented, apiKeys)) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw refuse('invalid');
    }
    if (needsAdmin) throw refuse('forbidden');
  });
});
