import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pairKeys } from '../../src/cache/index.js';
import { loadCrossEncoder } from '../../src/models/kinds/cross-encoder.js';
import { modelIdentity } from '../../src/models/model-identity.js';
import { forgedModel } from '../support/forged-model.js';
import { packTexts } from '../../src/text/packed-texts.js';

/** The identity the service builds for a cross-encoder folder (service.ts does the same). */
async function identityOf(dir: string, name = 'mini'): Promise<string> {
  const spec = loadCrossEncoder(dir, {});
  return modelIdentity(name, [spec.folder.onnxPath, ...spec.folder.tokenizerPaths], { maxLength: spec.maxLength, head: spec.head });
}

function copyOf(dir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'identity-'));
  cpSync(dir, copy, { recursive: true });
  return copy;
}

const withComment = (path: string): void => writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), comment: 'changed' }));
const settings = { direction: 'right', truncate: true, maxLength: 512 } as const;

describe('model identity (the cache scope of a model)', () => {
  it('is stable for the same files and names the served model', async () => {
    const dir = await forgedModel();
    expect(await identityOf(dir)).toBe(await identityOf(copyOf(dir)));
    expect(await identityOf(dir)).toMatch(/^mini@sha256:[0-9a-f]{64}$/);
    expect(await identityOf(dir, 'other')).not.toBe(await identityOf(dir));
  });

  // Issue 8: the tokenizer files are part of what produced a score.
  it('changes, and so do the keys, when any tokenizer file or the ONNX bytes change', async () => {
    const dir = await forgedModel();
    const original = await identityOf(dir);
    const seen = new Set([original]);
    const edits: [string, (path: string) => void][] = [
      ['tokenizer.json', withComment],
      ['vocab.txt', (p) => writeFileSync(p, `${readFileSync(p, 'utf8')}extra\n`)],
      ['tokenizer_config.json', withComment],
      ['special_tokens_map.json', withComment],
      ['onnx/model.onnx', (p) => writeFileSync(p, Buffer.concat([readFileSync(p), Buffer.from([0])]))],
    ];
    for (const [file, edit] of edits) {
      const copy = copyOf(dir);
      edit(join(copy, file));
      const changed = await identityOf(copy);
      expect(seen.has(changed), file).toBe(false);
      seen.add(changed);
      expect(await pairKeys(changed, 'q', packTexts(['d']), settings)).not.toEqual(await pairKeys(original, 'q', packTexts(['d']), settings));
    }
  });
});
