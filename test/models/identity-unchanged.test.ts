import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { modelSettings } from '../../src/compose.js';
import { KINDS } from '../../src/models/kinds/index.js';
import { loadModel } from '../../src/models/registry.js';
import { forgeModel } from '../../src/tools/forge/index.js';
import { tempDir } from '../tools/forge/helpers.js';

/*
 * Issue 19: the model-kinds redesign keeps every cache key. A key is the model's identity hashed
 * with the pair or text, so the identity must be the same string the code before the redesign
 * computed. These two were printed by that code (commit c144b57: service.ts's cacheScope over
 * loadCrossEncoder / loadEmbedder) for the forged folders below; forging is byte-identical per seed.
 */
const BEFORE = {
  reranker: 'reranker-name@sha256:b1db735619bb26c54796c9e2fc2bbf5d76956f8037b72b5ce3009e1fce8ffd6a',
  embedder: 'embedder-name@sha256:79b10bc7879f6ce40a0d87c6bc2ba969ee82949f136433f8c81dc5ff34ed8dc5',
};

let root: Awaited<ReturnType<typeof tempDir>>;
let reranker: string;
let embedder: string;
beforeAll(async () => {
  root = await tempDir('identity-');
  reranker = (await forgeModel({ out: path.join(root.dir, 'r'), preset: 'tiny', seed: 42 })).dir;
  embedder = (await forgeModel({ out: path.join(root.dir, 'e'), preset: 'embed-tiny', seed: 42 })).dir;
});
afterAll(async () => root.cleanup());

describe('cache identities across the model-kinds redesign (issue 19)', () => {
  const settings = modelSettings(buildConfig({}));
  it('the cross-encoder keeps the identity the old service gave it', async () => {
    const model = loadModel('reranker', KINDS, reranker, { servedName: 'reranker-name' }, settings);
    expect(model.kind.name).toBe('cross-encoder');
    expect(await model.identity()).toBe(BEFORE.reranker);
  });

  it('the embedder keeps the identity the old service gave it', async () => {
    const model = loadModel('embedder', KINDS, embedder, { servedName: 'embedder-name' }, settings);
    expect(model.kind.name).toBe('embedder');
    expect(await model.identity()).toBe(BEFORE.embedder);
  });
});
