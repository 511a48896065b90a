import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/errors.js';
import { decodeModel } from '../../src/graph/onnx-proto.js';
import { tokenEmbeddingRows } from '../../src/graph/plan-graph.js';
import { KINDS } from '../../src/models/kinds/index.js';
import { loadModel } from '../../src/models/registry.js';
import { forgedModel } from '../support/forged-model.js';

/**
 * Issue 23, item 2: a folder whose tokenizer can produce ids the model has no embedding row for is
 * refused at load, naming the files and the numbers, instead of failing inside ONNX Runtime on every
 * batch such a token lands in (and the other requests of that batch with it).
 */
const settings = { graphRewrites: true, limits: {} };
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'token-range-'));
});
afterAll(async () => rm(work, { recursive: true, force: true }));

async function variant(name: string, edit: (files: { tokenizer: Record<string, unknown>; config: Record<string, unknown> }) => void): Promise<string> {
  const dir = join(work, name);
  await cp(await forgedModel(), dir, { recursive: true });
  const tokenizer = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  edit({ tokenizer, config });
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('the token range a model can take', () => {
  it("reads the embedding table's rows from the graph: bert-base-uncased's 30,522", async () => {
    expect(tokenEmbeddingRows(decodeModel(await readFile(join(await forgedModel(), 'onnx/model.onnx'))))).toBe(30_522);
  });

  it('loads a folder whose tokenizer fits', async () => {
    expect(loadModel('reranker', KINDS, await forgedModel(), {}, settings).spec.tokenizer.idLimit).toBe(30_522);
  });

  it('refuses a tokenizer with ids past the embedding table, naming both files and the numbers', async () => {
    const dir = await variant('too-many-ids', ({ tokenizer }) => {
      tokenizer['added_tokens'] = [...((tokenizer['added_tokens'] as object[] | undefined) ?? []), { id: 90_000, content: '<extra>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false }];
    });
    const err = (() => {
      try {
        loadModel('reranker', KINDS, dir, {}, settings);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toContain("the tokenizer (tokenizer.json) has ids up to 90000, but model.onnx's token embedding has 30522 rows");
    expect((err as Error).message).toContain('Use the tokenizer files of the same repository and revision as the ONNX file.');
  });

  it('refuses a pad id outside the table', async () => {
    const dir = await variant('pad-outside', ({ config }) => {
      config['pad_token_id'] = 40_000;
    });
    expect(() => loadModel('reranker', KINDS, dir, {}, settings)).toThrow(/the pad token id is 40000, but model.onnx's token embedding has 30522 rows/);
  });
});
