import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelIdentity, pairKeys, type KeySettings } from '../../src/cache/index.js';

const base: KeySettings = { direction: 'right', truncate: true, maxTokensPerDoc: undefined, maxLength: 512 };
const key = (settings: Partial<KeySettings> = {}, identity = 'm@sha256:1', query = 'q', doc = 'd'): string =>
  pairKeys(identity, query, [doc], { ...base, ...settings })[0] as string;

describe('pair cache keys', () => {
  it('are stable and one per document, in order', () => {
    expect(key()).toBe(key());
    const keys = pairKeys('m', 'q', ['a', 'b', 'a'], base);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toBe(keys[2]);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('differ by every truncation setting', () => {
    const all = [
      key(),
      key({ direction: 'left' }),
      key({ truncate: false }),
      key({ maxTokensPerDoc: 64 }),
      key({ maxTokensPerDoc: 65 }),
      key({ maxLength: 256 }),
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it('differ by query and document, with no ambiguity at their boundary', () => {
    expect(key({}, 'm', 'ab', 'c')).not.toBe(key({}, 'm', 'a', 'bc'));
    expect(key({}, 'm', 'q', 'd1')).not.toBe(key({}, 'm', 'q', 'd2'));
  });

  it('differ by model identity: served name and the ONNX file bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reranker-key-'));
    writeFileSync(join(dir, 'a.onnx'), Buffer.from([1, 2, 3]));
    writeFileSync(join(dir, 'b.onnx'), Buffer.from([1, 2, 4]));
    writeFileSync(join(dir, 'c.onnx'), Buffer.from([1, 2, 3]));
    const a = await modelIdentity('mini', join(dir, 'a.onnx'));
    const b = await modelIdentity('mini', join(dir, 'b.onnx'));
    const c = await modelIdentity('mini', join(dir, 'c.onnx'));
    const renamed = await modelIdentity('other', join(dir, 'a.onnx'));
    expect(a).toBe(c);
    expect(new Set([a, b, renamed]).size).toBe(3);
    expect(key({}, a)).toBe(key({}, c));
    expect(new Set([key({}, a), key({}, b), key({}, renamed)]).size).toBe(3);
  });
});
