import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerIds, type DecoderRerankerSpec } from '../../src/models/kinds/decoder-reranker.js';
import { KINDS } from '../../src/models/kinds/index.js';
import { loadModel } from '../../src/models/registry.js';
import { PROMPT_TEMPLATES, type QueryDocumentTemplate } from '../../src/text/prompt-templates.js';
import { DecoderReference, type DecoderConfig } from '../support/decoder-reference.js';
import { rerankScores } from '../helpers/rerank-scores.js';
import { forgedDecoder } from '../support/forged-model.js';
import { testApp, type TestApp } from '../support/test-app.js';

const MXBAI = PROMPT_TEMPLATES['mxbai-rerank-v2'] as QueryDocumentTemplate;
const query = 'which river flows through Paris?';
const documents = ['The Seine flows through Paris.', 'Bananas are yellow.', 'Der Rhein fließt durch Köln. 🚢', `A long passage ${'about rivers and their cities, '.repeat(20)}`];
const right = { direction: 'right' as const, truncate: true };

let dir: string;
let spec: DecoderRerankerSpec;
let reference: DecoderReference;
let app: TestApp;

const load = (maxLength?: number) => loadModel('reranker', KINDS, dir, { maxLength }, { graphRewrites: true, limits: {} }).spec as DecoderRerankerSpec;

beforeAll(async () => {
  dir = await forgedDecoder({ preset: 'mxbai-rerank-v2-tiny' });
  spec = load();
  reference = new DecoderReference(join(dir, 'onnx/model.onnx'), JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as DecoderConfig);
  app = await testApp({ model: dir, workers: '1', cacheMaxBytes: '0' });
});
afterAll(async () => app?.close());

const raw = (payload: Record<string, unknown>): Promise<number[]> => rerankScores(app.app, { raw_scores: true, ...payload });

describe('a Qwen2ForCausalLM folder reranks with mxbai-rerank-v2\'s prompt', () => {
  it('is read as the decoder kind, answers logit("1") - logit("0"), and lays the ids out as the card\'s code does', () => {
    expect(spec.template).toBe('mxbai-rerank-v2');
    expect(answerIds(spec)).toEqual([spec.tokenizer.idOf('0'), spec.tokenizer.idOf('1')]);
    const enc = (t: string) => spec.tokenizer.encode(t);
    const ids = Array.from(spec.encoder.encodePair('q?', 'a doc', right, '').ids);
    expect(ids).toEqual([...enc(MXBAI.prefix), ...enc('query: q?'), ...enc('\n'), ...enc('document: a doc'), ...enc('\n'), ...enc(MXBAI.task), ...enc(MXBAI.suffix)]);
    const instructed = Array.from(spec.encoder.encodePair('q?', 'a doc', right, 'Find rivers').ids);
    expect(instructed.slice(enc(MXBAI.prefix).length, enc(MXBAI.prefix).length + enc('instruction: Find rivers\nquery: q?').length)).toEqual(enc('instruction: Find rivers\nquery: q?'));
  });

  it('scores equal the float64 reference (1e-4), a batch equals each pair alone (1e-5), an instruction changes them', async () => {
    const together = await raw({ query, documents });
    documents.forEach((d, i) => {
      const [no, yes] = reference.lastLogits(Array.from(spec.encoder.encodePair(query, d, right, '').ids), answerIds(spec)) as [number, number];
      expect(Math.abs((together[i] as number) - (yes - no)), d).toBeLessThan(1e-4);
    });
    for (const [i, d] of documents.entries()) expect(Math.abs(((await raw({ query, documents: [d] }))[0] as number) - (together[i] as number))).toBeLessThan(1e-5);
    const instructed = await raw({ query, documents, instruction: 'Find passages about rivers' });
    const [no, yes] = reference.lastLogits(Array.from(spec.encoder.encodePair(query, documents[0] as string, right, 'Find passages about rivers').ids), answerIds(spec)) as [number, number];
    expect(Math.abs((instructed[0] as number) - (yes - no))).toBeLessThan(1e-4);
    expect(instructed).not.toEqual(together);
  });

  it('--max-length counts the query and document parts: the query keeps at most 3/4, the document the rest', () => {
    const short = load(40);
    const fixed = short.maxLength - 40;
    expect(fixed).toBe(short.encoder.prefixIds.length + short.encoder.suffixIds.length + short.tokenizer.encode(MXBAI.task).length + 1);
    const longQuery = 'rivers '.repeat(60);
    const ids = short.encoder.encodePair(longQuery, documents[3] as string, right, '').ids;
    expect(ids.length).toBe(short.maxLength);
    const queryPart = short.tokenizer.encode(`query: ${longQuery}`).slice(0, 30);
    const start = short.encoder.prefixIds.length;
    expect(Array.from(ids.slice(start, start + 30))).toEqual(queryPart);
    // What is left of the 40 goes to the separator and the document's first tokens.
    expect(Array.from(ids.slice(start + 30, start + 40))).toEqual([...short.tokenizer.encode('\n'), ...short.tokenizer.encode(`document: ${documents[3]}`).slice(0, 9)]);
  });
});
