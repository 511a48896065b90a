import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from '../helpers/inject.js';
import { forgedEmbedder, testApp, type TestApp } from '../support/test-app.js';

/**
 * TEI's POST /tokenize (issue 24), for both models: an XLM-R reranker (SentencePiece, <s> </s>) and a
 * BERT embedder ([CLS] [SEP]), so which tokenizer answered shows in the special tokens.
 */
describe('POST /tokenize', () => {
  let t: TestApp;
  let embedderName: string;
  beforeAll(async () => {
    t = await testApp({ embeddingModel: await forgedEmbedder(), workers: '0' }, { preset: 'xlmr-tiny' });
    embedderName = (await inject(t.app, 'GET', '/info')).body.embedding_model.model_id as string;
  });
  afterAll(async () => t?.close());

  type Span = { id: number; text: string; special: boolean; start: number | null; stop: number | null };

  it("answers TEI's shape: one token list per input, special tokens without offsets, the reranker's tokenizer by default", async () => {
    const res = await inject(t.app, 'POST', '/tokenize', { inputs: ['Hello world', 'Paris'] });
    expect(res.status).toBe(200);
    const [first, second] = res.body as Span[][];
    expect(first?.[0]).toMatchObject({ text: '<s>', special: true, start: null, stop: null });
    expect(first?.at(-1)).toMatchObject({ text: '</s>', special: true, start: null, stop: null });
    // Every text token's text is the input at its offsets.
    for (const s of first?.filter((x) => !x.special) ?? []) expect(Buffer.from('Hello world').subarray(s.start ?? 0, s.stop ?? 0).toString()).toBe(s.text);
    expect(first?.filter((x) => !x.special).map((x) => x.text).join('')).toBe('Helloworld');
    expect(second?.length).toBeGreaterThanOrEqual(3);
  });

  it("tokenizes with the embedder's tokenizer when asked by its served name, and without special tokens when told", async () => {
    const res = await inject(t.app, 'POST', '/tokenize', { inputs: 'Hello, world!', model: embedderName });
    expect((res.body as Span[][])[0]?.map((s) => [s.text, s.special, s.start, s.stop])).toEqual([
      ['[CLS]', true, null, null],
      ['Hello', false, 0, 5],
      [',', false, 5, 6],
      ['world', false, 7, 12],
      ['!', false, 12, 13],
      ['[SEP]', true, null, null],
    ]);
    const bare = await inject(t.app, 'POST', '/tokenize', { inputs: 'Hello, world!', model: embedderName, add_special_tokens: false });
    expect((bare.body as Span[][])[0]?.map((s) => s.text)).toEqual(['Hello', ',', 'world', '!']);
  });

  it("answers errors in TEI's shape", async () => {
    expect(await inject(t.app, 'POST', '/tokenize', { inputs: [] })).toMatchObject({ status: 400, body: { error: 'input must not be empty.', error_type: 'Empty' } });
    expect(await inject(t.app, 'POST', '/tokenize', { inputs: 'x', prompt_name: 'query' })).toMatchObject({ status: 422, body: { error: 'prompt_name is not supported: this service applies no prompts.', error_type: 'Validation' } });
    expect(await inject(t.app, 'GET', '/tokenize')).toMatchObject({ status: 405, headers: { allow: 'POST' }, body: { error: '/tokenize does not take GET; it takes POST.', error_type: 'Validation' } });
    expect(await inject(t.app, 'POST', '/tokenize', '{"inputs": [')).toMatchObject({ status: 400, body: { error_type: 'Validation' } });
  });
});
