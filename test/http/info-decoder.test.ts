import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgedDecoder } from '../support/forged-model.js';
import { testApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ model: await forgedDecoder({ preset: 'mxbai-rerank-v2-tiny' }), workers: '1', rerankerInstruction: 'Find passages about rivers' });
});
afterAll(async () => t?.close());

describe('/info with a decoder reranker (issue 20)', () => {
  it('names the kind\'s prompt, architecture, default instruction and sequence limit', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/info' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(JSON.stringify(body)).toContain('"template":"mxbai-rerank-v2"');
    expect(JSON.stringify(body)).toContain('Qwen2ForCausalLM');
    expect(JSON.stringify(body)).toContain('"instruction":"Find passages about rivers"');
  });
});
