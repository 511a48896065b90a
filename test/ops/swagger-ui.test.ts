import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { OPENAPI_TAGS } from '../../src/http/openapi.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { CHROMIUM_BINARY, CHROMIUM_HINT, renderedDom } from '../support/chromium.js';
import { forgedModel } from '../support/forged-model.js';

/**
 * Issue 12: /docs opened in a real browser (headless Chromium) lists every route of openapi.yaml,
 * each under its group (tag). The page is Swagger UI's own rendering of the served document, so
 * this also checks that the UI's scripts load from /docs and fetch the spec.
 */

interface Operation {
  tags?: string[];
}
const committed = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as {
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
};
/** `METHOD /path` of each documented route, with its tags. */
const documented = Object.entries(committed.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, tags: op.tags ?? [] })));

/** The sections of a rendered Swagger UI page: each tag's heading, then the operations under it. */
function sections(dom: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // Each group starts at its <h3 class="opblock-tag" ... data-tag="name">; its operations follow until the next.
  const parts = dom.split('<h3 class="opblock-tag"').slice(1);
  for (const part of parts) {
    const tag = /data-tag="([^"]+)"/.exec(part)?.[1];
    if (tag === undefined) continue;
    const routes = [...part.matchAll(/class="opblock-summary-method">([A-Z]+)<\/span>.*?data-path="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    out.set(tag, routes);
  }
  return out;
}

if (CHROMIUM_BINARY === undefined) console.warn(CHROMIUM_HINT);

describe('openapi.yaml groups', () => {
  it('declares the tags of src/http/openapi.ts, in order, with descriptions', () => {
    expect(committed.tags).toEqual(OPENAPI_TAGS.map((t) => ({ ...t })));
    expect(OPENAPI_TAGS.map((t) => t.name)).toEqual(['rerank', 'embeddings', 'search', 'collections', 'operations']);
  });

  it('puts every route in exactly one declared group', () => {
    const names: string[] = OPENAPI_TAGS.map((t) => t.name);
    expect(documented.length).toBeGreaterThan(5);
    expect(documented.filter((d) => d.tags.length !== 1 || !names.includes(d.tags[0] ?? '')).map((d) => `${d.route} ${JSON.stringify(d.tags)}`)).toEqual([]);
  });
});

describe.skipIf(CHROMIUM_BINARY === undefined)('/docs in headless Chromium', () => {
  let server: RunningServer;
  let page: Map<string, string[]>;
  beforeAll(async () => {
    // The routes and /docs are served while the model loads; no model work is needed here.
    const config = buildConfig({ model: await forgedModel(), embeddingModel: 'none', store: 'none', host: '127.0.0.1', port: '0', workers: '1' });
    server = await startServer(config, { logger: pino({ level: 'silent' }) });
    const dom = await renderedDom(`${server.url}/docs`);
    page = sections(dom);
    if (page.size === 0) throw new Error(`Swagger UI rendered no route groups; the page was:\n${dom.slice(0, 3000)}`);
  });
  afterAll(async () => server?.close());

  it('lists every route of openapi.yaml under its group', () => {
    const listed = [...page.entries()].flatMap(([tag, routes]) => routes.map((route) => `${tag}: ${route}`));
    const expected = documented.map((d) => `${d.tags[0] ?? 'default'}: ${d.route}`);
    expect(new Set(listed)).toEqual(new Set(expected));
    expect(listed).toHaveLength(expected.length);
  });

  it('shows the groups in the declared order', () => {
    const declared: string[] = OPENAPI_TAGS.map((t) => t.name);
    const shown = [...page.keys()].filter((tag) => (page.get(tag)?.length ?? 0) > 0);
    expect(shown).toEqual(declared.filter((tag) => shown.includes(tag)));
    expect(shown).toEqual(expect.arrayContaining(['rerank', 'embeddings', 'operations']));
  });
});
