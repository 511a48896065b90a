import type { FastifyInstance } from 'fastify';

/** One method of one served route, as `printRoutes` lists it (HEAD included, path parameters as :name). */
export interface ServedRoute {
  method: string;
  url: string;
}

// `├── /collections (GET, HEAD)`: the tree drawing (four characters a level), the path below the
// parent's, and the methods.
const LINE = /^((?:│ {3}| {4})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/;

/**
 * Every route the app serves, read from Fastify's public `printRoutes` (without common-prefix
 * folding, each line holds its path below its parent's), so no hook in the app has to collect them.
 */
export function servedRoutes(app: FastifyInstance): ServedRoute[] {
  const parents: string[] = [];
  const routes: ServedRoute[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = LINE.exec(line);
    if (m === null) continue;
    const depth = (m[1] ?? '').length / 4;
    const url = `${parents[depth - 1] ?? ''}${m[2] ?? ''}`;
    parents[depth] = url;
    parents.length = depth + 1;
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== '')) routes.push({ method: method.toLowerCase(), url });
  }
  if (routes.length === 0) throw new Error(`printRoutes gave nothing this parser reads:\n${app.printRoutes({ commonPrefix: false })}`);
  return routes;
}
