/**
 * Hostile requests to the rerank routes (issue 11), shared by the suite on the default app and the one
 * with a decoder reranker loaded (issue 20), and how an answer to one is judged.
 */
export const probe = { query: 'capital of france', documents: ['Paris is the capital of France.', 'Bananas are yellow.'] };

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
export interface Case {
  name: string;
  method: Method;
  url: string;
  /** A JSON value (sent as JSON), or raw text sent as is. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** An exact status, or the class the answer must be in. */
  expect: number | '2xx' | '4xx';
}

export const deep = (depth: number, leaf = '1'): string => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
export const deepFilter = (depth: number): unknown => {
  let f: unknown = { price: 10 };
  for (let i = 0; i < depth; i++) f = { $and: [f] };
  return f;
};
export const many = (n: number, f: (i: number) => unknown = (i) => `document ${i}`): unknown[] => Array.from({ length: n }, (_, i) => f(i));
const objDocs = [{ text: 'Paris is the capital.', title: 'Paris' }, { text: 'Bananas.', title: 'Fruit' }];

export const RERANK: Case[] = [
  { name: 'documents is a string', method: 'POST', url: '/rerank', body: { query: 'q', documents: 'x' }, expect: 400 },
  { name: 'query is a number', method: 'POST', url: '/rerank', body: { query: 123, documents: ['a'] }, expect: 400 },
  { name: 'query missing', method: 'POST', url: '/rerank', body: { documents: ['a'] }, expect: 400 },
  { name: 'a null document', method: 'POST', url: '/rerank', body: { query: 'q', documents: [null] }, expect: 400 },
  { name: 'number documents', method: 'POST', url: '/rerank', body: { query: 'q', documents: [1, 2] }, expect: 400 },
  { name: 'enormous top_n', method: 'POST', url: '/rerank', raw: '{"query":"q","documents":["a","b"],"top_n":1e308}', expect: 200 },
  { name: 'negative top_n', method: 'POST', url: '/rerank', body: { query: 'q', documents: ['a'], top_n: -5 }, expect: 422 },
  { name: 'fractional top_n', method: 'POST', url: '/rerank', body: { query: 'q', documents: ['a'], top_n: 1.5 }, expect: 400 },
  { name: 'enormous max_tokens_per_doc', method: 'POST', url: '/rerank', raw: '{"query":"q","documents":["a"],"max_tokens_per_doc":1e20}', expect: 200 },
  { name: '20,000 documents', method: 'POST', url: '/rerank', body: { query: 'q', documents: many(20_000, () => 'a') }, expect: 400 },
  { name: 'a 200,000-character query', method: 'POST', url: '/rerank', body: { query: 'q'.repeat(200_000), documents: ['a'] }, expect: 413 },
  { name: 'an empty body', method: 'POST', url: '/rerank', raw: '', expect: 400 },
  { name: 'a null body', method: 'POST', url: '/rerank', raw: 'null', expect: 400 },
  { name: 'an array body', method: 'POST', url: '/rerank', raw: '[]', expect: 400 },
  { name: 'a string body', method: 'POST', url: '/rerank', raw: '"query"', expect: 400 },
  { name: 'duplicated JSON keys (the last wins)', method: 'POST', url: '/rerank', raw: '{"query":"a","query":"capital","documents":["x"],"documents":["Paris","Lyon"]}', expect: 200 },
  { name: 'a __proto__ key', method: 'POST', url: '/rerank', raw: '{"query":"q","documents":["a"],"__proto__":{"polluted":1}}', expect: 400 },
  { name: 'constructor.prototype', method: 'POST', url: '/rerank', raw: '{"query":"q","documents":[{"text":"a","constructor":{"prototype":{"polluted":1}}}]}', expect: 400 },
  { name: 'rank_fields naming a prototype key', method: 'POST', url: '/rerank', body: { query: 'q', documents: objDocs, rank_fields: ['__proto__'] }, expect: 422 },
  { name: 'NUL bytes in query and documents', method: 'POST', url: '/rerank', body: { query: 'q\u0000', documents: ['a\u0000b', '\u0000'] }, expect: 200 },
  { name: 'lone surrogates', method: 'POST', url: '/rerank', body: { query: '\ud800', documents: ['\udc00', 'a\ud83d'] }, expect: 200 },
  { name: 'an object document 5,000 levels deep', method: 'POST', url: '/rerank', raw: `{"query":"q","documents":[{"text":"a","m":${deep(5000)}}]}`, expect: 422 },
  { name: 'text/plain', method: 'POST', url: '/rerank', raw: 'query=q', headers: { 'content-type': 'text/plain' }, expect: 415 },
  { name: 'JSON with a charset', method: 'POST', url: '/rerank', raw: JSON.stringify(probe), headers: { 'content-type': 'application/json; charset=utf-8' }, expect: 200 },
  { name: 'a string for a boolean', method: 'POST', url: '/rerank', body: { query: 'q', documents: ['a'], raw_scores: 'yes' }, expect: 400 },
  { name: 'an unknown truncation direction', method: 'POST', url: '/rerank', body: { query: 'q', documents: ['a'], truncation_direction: 'up' }, expect: '4xx' },
  { name: 'TEI: texts is a string', method: 'POST', url: '/rerank', body: { query: 'q', texts: 'x' }, expect: 400 },
  { name: 'TEI: no texts', method: 'POST', url: '/rerank', body: { query: 'q', texts: [] }, expect: 400 },
  { name: 'TEI: 10,001 texts', method: 'POST', url: '/rerank', body: { query: 'q', texts: many(10_001, () => 'a') }, expect: 400 },
  { name: 'TEI: truncate is a string', method: 'POST', url: '/rerank', body: { query: 'q', texts: ['a'], truncate: 'no' }, expect: 400 },
  { name: 'both texts and documents (documents win)', method: 'POST', url: '/rerank', body: { query: 'q', texts: ['a'], documents: ['b'] }, expect: 200 },
  { name: 'v1: objects without text', method: 'POST', url: '/v1/rerank', body: { query: 'q', documents: [{ title: 'a' }] }, expect: 422 },
  { name: 'v1: top_k 0', method: 'POST', url: '/v1/rerank', body: { query: 'q', documents: ['a'], top_k: 0 }, expect: 422 },
  { name: 'v1: an operator object as model', method: 'POST', url: '/v1/rerank', body: { query: 'q', documents: ['a'], model: { $ne: 1 } }, expect: 400 },
  { name: 'v1: duplicated rank_fields', method: 'POST', url: '/v1/rerank', body: { query: 'q', documents: objDocs, rank_fields: ['title', 'title'] }, expect: 400 },
  { name: 'v2: an SQL-looking query', method: 'POST', url: '/v2/rerank', body: { query: "'; DROP TABLE rr_collections; --", documents: ['a', "1' OR '1'='1"] }, expect: 200 },
  { name: 'v2: over --max-documents', method: 'POST', url: '/v2/rerank', body: { query: 'q', documents: many(1001) }, expect: 413 },
  { name: 'v2: one 99,999-character token', method: 'POST', url: '/v2/rerank', body: { query: 'q', documents: ['x'.repeat(99_999)] }, expect: 200 },
  { name: 'v2: the timeout header past 2^31-1 ms (clamped)', method: 'POST', url: '/v2/rerank', body: probe, headers: { 'x-request-timeout-ms': '99999999999999' }, expect: 200 },
  { name: 'v2: a negative timeout header', method: 'POST', url: '/v2/rerank', body: probe, headers: { 'x-request-timeout-ms': '-1' }, expect: 400 },
];

/** Undefined when the answer is the one expected, in the route's error shape; else what is wrong with it. */
export function wrongAnswer(c: Case, res: { status: number; body: string; contentType: string }): string | undefined {
  const what = `${c.method} ${c.url.slice(0, 50)} (${c.name}): ${res.status} ${res.body.slice(0, 160)}`;
  const ok = c.expect === '2xx' ? res.status < 300 : c.expect === '4xx' ? res.status >= 400 && res.status < 500 : res.status === c.expect;
  if (!ok) return `${what}, expected ${c.expect}`;
  if (res.status < 400) return undefined;
  const shape = c.url === '/embed' || c.url === '/tokenize' || (c.url === '/rerank' && typeof c.body === 'object' && c.body !== null && 'texts' in c.body && !('documents' in c.body)) ? ['error', 'error_type'] : ['detail', 'error', 'message'];
  let keys: string[] = [];
  try {
    keys = Object.keys(JSON.parse(res.body) as object).sort();
  } catch {
    // Not JSON at all.
  }
  return JSON.stringify(keys) === JSON.stringify(shape) ? undefined : `${what}, not in the error shape`;
}

