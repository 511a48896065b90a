import { describe, expect, it } from 'vitest';
import { pairKeys, textKeys, type PairKeySettings } from '../../src/cache/index.js';
import { packTexts } from '../../src/text/packed-texts.js';

const base: PairKeySettings = { direction: 'right', truncate: true, maxTokensPerDoc: undefined, maxLength: 512 };
const key = async (settings: Partial<PairKeySettings> = {}, identity = 'm@sha256:1', query = 'q', doc = 'd'): Promise<string> =>
  (await pairKeys(identity, query, packTexts([doc]), { ...base, ...settings }))[0] as string;

describe('pair cache keys', () => {
  it('are stable and one per document, in order', async () => {
    expect(await key()).toBe(await key());
    const keys = await pairKeys('m', 'q', packTexts(['a', 'b', 'a']), base);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toBe(keys[2]);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('differ by every truncation setting', async () => {
    const all = await Promise.all([
      key(),
      key({ direction: 'left' }),
      key({ truncate: false }),
      key({ maxTokensPerDoc: 64 }),
      key({ maxTokensPerDoc: 65 }),
      key({ maxLength: 256 }),
    ]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('differ by query and document, with no ambiguity at their boundary', async () => {
    expect(await key({}, 'm', 'ab', 'c')).not.toBe(await key({}, 'm', 'a', 'bc'));
    expect(await key({}, 'm', 'q', 'd1')).not.toBe(await key({}, 'm', 'q', 'd2'));
  });

  it('never equal a text key, even for the same identity and text', async () => {
    const text = (await textKeys('m', ['d'], { direction: 'right', truncate: true, maxLength: 512 }))[0];
    expect(text).not.toBe(await key({}, 'm', '', 'd'));
    expect((await textKeys('m', ['d'], { direction: 'left', truncate: true, maxLength: 512 }))[0]).not.toBe(text);
    expect((await textKeys('m', ['d'], { direction: 'right', truncate: true, maxLength: 256 }))[0]).not.toBe(text);
  });

  it('are the same whether the hashing yields to the event loop or not (4 MB of documents)', async () => {
    const docs = Array.from({ length: 200 }, (_, i) => `${i} ${'paris '.repeat(3500)}`);
    const keys = await pairKeys('m', 'q', packTexts(docs), base);
    expect(keys).toHaveLength(200);
    for (const i of [0, 57, 199]) expect(keys[i]).toBe(await key({}, 'm', 'q', docs[i]));
    expect(new Set(keys).size).toBe(200);
  });
});

describe('keys over packed texts', () => {
  it('are the keys of the same texts hashed as strings (the keys written before packing)', async () => {
    const { createHash } = await import('node:crypto');
    const docs = ['plain', 'déjà 🚀', 'lone \udc00 surrogate'];
    const keys = await pairKeys('m', 'q', packTexts(docs), base);
    const prefix = createHash('sha256')
      .update(JSON.stringify(['pair', 'm', base.maxLength, base.direction, base.maxTokensPerDoc ?? null, base.truncate, 'q']))
      .digest();
    expect(keys).toEqual(docs.map((d) => createHash('sha256').update(prefix).update(d).digest('base64url')));
  });
});
