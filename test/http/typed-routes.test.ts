import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue 12, item 3: the TypeBox schemas type the routes (@fastify/type-provider-typebox), so no
 * handler casts what the schema already validated. tsc checks the handlers against the schemas;
 * this test keeps casts from creeping back.
 */
const HTTP = new URL('../../src/http/', import.meta.url).pathname;
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('routes typed by their schemas (issue 12)', () => {
  it('no handler casts its request body, params or query', () => {
    const casts = files(HTTP).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${file.slice(HTTP.length)}:${i + 1}` }))
        .filter(({ line }) => /\b(req|request)\.(body|params|query)\s*(\?\?[^)]*\))?\s*as\b/.test(line) || /\(\s*(req|request)\.(body|params|query)\s*\?\?[^)]*\)\s*as\b/.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(casts).toEqual([]);
  });

  it('every route plugin registers through the TypeBox type provider', () => {
    const routeFiles = files(HTTP).filter((f) => f.endsWith('-routes.ts'));
    expect(routeFiles.length).toBeGreaterThan(4);
    for (const file of routeFiles) {
      const text = readFileSync(file, 'utf8');
      if (!/app\.(get|post|put|delete)\(/.test(text) && !/routes\.(get|post|put|delete)\(/.test(text)) continue;
      expect(text, file).toMatch(/TypeBoxTypeProvider/);
    }
  });
});
