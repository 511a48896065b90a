import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitExceededError } from '../../src/errors.js';
import { documentText } from '../../src/http/rerank/documents.js';
import { testApp, type TestApp } from '../support/test-app.js';
import { injector } from '../helpers/inject.js';

/**
 * Issue 11, item 1: amplification through rank_fields. A small body must not make the main thread
 * build large strings: every array is bounded, counts are checked before any per-document work, the
 * join stops once the character limit is passed, and only a document's own properties are fields.
 */
let t: TestApp;
beforeAll(async () => {
  t = await testApp({ maxDocuments: '5', maxDocumentChars: '200', workers: '0' });
});
afterAll(async () => t?.close());

const { post } = injector(() => t.app);

const query = 'what is the capital of france';

describe('rank_fields amplification (issue 11)', () => {
  it('refuses duplicated rank_fields and too many of them before joining anything', async () => {
    const dupes = await post('/v2/rerank', { query, rank_fields: Array.from({ length: 50 }, () => 'title'), documents: [{ title: 'x'.repeat(10) }] });
    expect(dupes.status).toBe(400);
    expect(dupes.body.error.code).toBe('INVALID_REQUEST');
    expect(dupes.body.error.message).toMatch(/rank_fields/);
    const many = await post('/v2/rerank', { query, rank_fields: Array.from({ length: 5000 }, (_, i) => `f${i}`), documents: [{ f1: 'x' }] });
    expect(many.status).toBe(400);
    expect(many.body.error.message).toMatch(/rank_fields/);
  });

  it('checks the document count before looking at any document', async () => {
    const res = await post('/v2/rerank', { query, documents: Array.from({ length: 6 }, () => ({ title: 'no text field' })) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('TOO_MANY_DOCUMENTS');
  });

  it('stops joining fields as soon as the character limit is passed', () => {
    let joined = false;
    // JSON.stringify calls toJSON: it says whether the second field was turned into text.
    const doc = { a: 'x'.repeat(300), b: { toJSON: () => ((joined = true), 'y') } };
    expect(() => documentText(doc, 3, ['a', 'b'], 200)).toThrow(LimitExceededError);
    expect(() => documentText(doc, 3, ['a', 'b'], 200)).toThrow(/documents\[3\]/);
    expect(joined).toBe(false);
    expect(documentText(doc, 3, ['b'], 200)).toBe('b: "y"');
  });

  it('counts only a document\'s own properties as fields', async () => {
    for (const field of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const res = await post('/v2/rerank', { query, rank_fields: [field], documents: [{ title: 'Paris' }] });
      expect(res.status, field).toBe(422);
      expect(res.body.error.message).toMatch(/none of the rank_fields/);
    }
    const docs = [{ title: 'Paris is the capital of France.' }, { title: 'Bananas are yellow.' }];
    const plain = await post('/v2/rerank', { query, rank_fields: ['title'], documents: docs });
    const inherited = await post('/v2/rerank', { query, rank_fields: ['title', 'toString', 'constructor'], documents: docs });
    expect(plain.status).toBe(200);
    expect(inherited.body.results).toEqual(plain.body.results);
  });

  it('bounds every array of every request body in the API contract', () => {
    const spec = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    const unbounded: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      if (schema['type'] === 'array' && typeof schema['maxItems'] !== 'number') unbounded.push(where);
      for (const [k, v] of Object.entries(schema)) walk(v, `${where}.${k}`);
    };
    for (const [url, ops] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(ops)) walk(op.requestBody, `${method} ${url}`);
    expect(unbounded).toEqual([]);
  });
});
