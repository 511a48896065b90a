import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFF_THREAD_MIN_BYTES } from '../../src/http/json-body.js';
import { testApp, type TestApp } from '../support/test-app.js';
import { injector } from '../helpers/inject.js';

/**
 * Issue 25: a JSON body of OFF_THREAD_MIN_BYTES or more is parsed on a thread of its own, read piece
 * by piece as it arrives. Whichever side parses it, the value and the errors must be the same.
 */
let t: TestApp;
beforeAll(async () => {
  t = await testApp({ maxBodyBytes: String(2 * 1024 * 1024), maxDocumentChars: '20000' });
});
afterAll(async () => t.close());

const { post } = injector(() => t.app);

const docs = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `document ${from + i} about the capital of france, é ü 🚀 `.repeat(120));

describe('JSON bodies parsed off the event loop (issue 25)', () => {
  it('a large body ranks exactly as the same documents sent in small bodies', async () => {
    const all = docs(30);
    const large = JSON.stringify({ query: 'capital of france', documents: all, return_documents: true });
    expect(Buffer.byteLength(large)).toBeGreaterThan(OFF_THREAD_MIN_BYTES);
    const whole = await post('/v1/rerank', large, { 'cache-control': 'no-store' });
    expect(whole.status).toBe(200);
    const parts = [];
    for (let from = 0; from < 30; from += 10) {
      const body = JSON.stringify({ query: 'capital of france', documents: all.slice(from, from + 10) });
      expect(Buffer.byteLength(body)).toBeLessThan(OFF_THREAD_MIN_BYTES);
      const res = await post('/v1/rerank', body, { 'cache-control': 'no-store' });
      expect(res.status).toBe(200);
      for (const r of res.body.results as { index: number; relevance_score: number }[]) parts.push({ index: from + r.index, score: r.relevance_score });
    }
    const byIndex = new Map(parts.map((p) => [p.index, p.score]));
    const results = whole.body.results as { index: number; relevance_score: number; document: { text: string } }[];
    expect(results).toHaveLength(30);
    for (const r of results) {
      expect(r.relevance_score).toBe(byIndex.get(r.index));
      expect(r.document.text).toBe(all[r.index]);
    }
  });

  it('a large body that is not JSON, or holds __proto__, is refused as a small one is', async () => {
    const big = JSON.stringify({ query: 'q', documents: docs(30) });
    const small = JSON.stringify({ query: 'q', documents: docs(1) });
    for (const body of [big, small]) {
      const broken = await post('/v2/rerank', body.slice(0, -2));
      expect(broken.status).toBe(400);
      expect(broken.body.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/not valid JSON/) });
      const poisoned = await post('/v2/rerank', `{"__proto__": {"x": 1}, ${body.slice(1)}`);
      expect(poisoned.status).toBe(400);
      expect(poisoned.body.error).toEqual(broken.body.error);
    }
  });

  it('a large body sent without a length, in pieces, is parsed whole; over the limit it is 413', async () => {
    const text = JSON.stringify({ query: 'q', documents: docs(30) });
    const pieces = (s: string): Readable => Readable.from(s.match(/[\s\S]{1,16384}/g) ?? [], { objectMode: false });
    const ok = await t.app.inject({ method: 'POST', url: '/v2/rerank', headers: { 'content-type': 'application/json' }, payload: pieces(text) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().results).toHaveLength(30);
    const over = JSON.stringify({ query: 'q', documents: docs(400) });
    expect(Buffer.byteLength(over)).toBeGreaterThan(2 * 1024 * 1024);
    const refused = await t.app.inject({ method: 'POST', url: '/v2/rerank', headers: { 'content-type': 'application/json' }, payload: pieces(over) });
    expect(refused.statusCode).toBe(413);
    expect(refused.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
