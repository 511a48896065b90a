import { describe, expect, it } from 'vitest';
import { pairKeys, textKeys, type PairKeySettings } from '../../src/cache/index.js';

const base: PairKeySettings = { direction: 'right', truncate: true, maxTokensPerDoc: undefined, maxLength: 512 };
const key = (settings: Partial<PairKeySettings> = {}, identity = 'm@sha256:1', query = 'q', doc = 'd'): string =>
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

  it('never equal a text key, even for the same identity and text', () => {
    const text = textKeys('m', ['d'], { direction: 'right', truncate: true, maxLength: 512 })[0];
    expect(text).not.toBe(key({}, 'm', '', 'd'));
    expect(textKeys('m', ['d'], { direction: 'left', truncate: true, maxLength: 512 })[0]).not.toBe(text);
    expect(textKeys('m', ['d'], { direction: 'right', truncate: true, maxLength: 256 })[0]).not.toBe(text);
  });
});
