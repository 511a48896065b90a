import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** The methods each registered path answers (see installRouteMethods). */
    routeMethods: RouteMethods;
  }
}

/**
 * Which methods a path answers, so that a known path asked with another method is a 405 with
 * `Allow` (RFC 9110, 15.5.6) and not a 404 that says the route does not exist. Fastify's own router
 * matches one method at a time and only answers "no route"; this one holds every route's pattern
 * with the same matcher (find-my-way, Fastify's router) and is asked per method on a miss only.
 */
export class RouteMethods {
  private readonly router = FindMyWay({ maxParamLength: 4096 });
  private readonly methods = new Set<string>();

  add(method: string, url: string): void {
    if (this.router.hasRoute(method as HTTPMethod, url)) return;
    this.router.on(method as HTTPMethod, url, () => undefined);
    this.methods.add(method);
  }

  /** The methods that `path` (no query string) answers; empty for a path no route has. */
  allowed(path: string): string[] {
    return [...this.methods].filter((m) => this.router.find(m as HTTPMethod, path) !== null).sort();
  }
}

/** Records every route registered after this call, on the app and its plugins. */
export function installRouteMethods(app: FastifyInstance): void {
  const routes = new RouteMethods();
  app.decorate('routeMethods', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.add(method, route.url);
  });
}
