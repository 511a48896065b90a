import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecoderRerankerSpec } from '../../src/models/kinds/decoder-reranker.js';
import { KINDS } from '../../src/models/kinds/index.js';
import { loadModel } from '../../src/models/registry.js';
import { PROMPT_TEMPLATES, type PairPartsTemplate } from '../../src/text/prompt-templates.js';
import { DecoderReference, type DecoderConfig } from '../support/decoder-reference.js';
import { rerankScores } from '../helpers/rerank-scores.js';
import { forgedDecoder } from '../support/forged-model.js';
import { testApp, type TestApp } from '../support/test-app.js';

const SEQ_CLS = PROMPT_TEMPLATES['qwen3-reranker-seq-cls'] as PairPartsTemplate;
const query = 'what is the capital of France?';
const documents = ['Paris is the capital of France.', 'Bananas are yellow.', '東京は日本の首都です。 🚀', `Rivers ${'and more rivers, '.repeat(15)}`];
const right = { direction: 'right' as const, truncate: true };

let dir: string;
let spec: DecoderRerankerSpec;
let reference: DecoderReference;
let app: TestApp;

beforeAll(async () => {
  dir = await forgedDecoder({ task: 'sequence-classification' });
  spec = loadModel('reranker', KINDS, dir, {}, { graphRewrites: true, limits: {} }).spec as DecoderRerankerSpec;
  reference = new DecoderReference(join(dir, 'onnx/model.onnx'), JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as DecoderConfig);
  app = await testApp({ model: dir, workers: '1', cacheMaxBytes: '0' });
});
afterAll(async () => app?.close());

const raw = (docs: string[]): Promise<number[]> => rerankScores(app.app, { query, documents: docs, raw_scores: true });

describe('Qwen3ForSequenceClassification (a converted Qwen3-Reranker): a classifier read at the last real token', () => {
  it('loads with the conversion card\'s pair of texts, a one-logit classifier head and no score-head rewrite', () => {
    const model = loadModel('reranker', KINDS, dir, {}, { graphRewrites: true, limits: {} });
    expect(model.kind.name).toBe('decoder-reranker');
    expect(spec.template).toBe('qwen3-reranker-seq-cls');
    expect(spec.head).toEqual({ kind: 'classifier', numLabels: 1, relevantLabel: 0 });
    expect(model.engine.session.rewrites).toEqual([]);
    const enc = (t: string) => spec.tokenizer.encode(t);
    expect(Array.from(spec.encoder.encodePair('q?', 'a doc', right, SEQ_CLS.defaultInstruction).ids)).toEqual([...enc(SEQ_CLS.first(SEQ_CLS.defaultInstruction, 'q?')), ...enc(SEQ_CLS.second('a doc'))]);
  });

  it('its logit is the reference\'s logit(yes) - logit(no) on the same ids (1e-4), batched or alone (1e-5)', async () => {
    const together = await raw(documents);
    documents.forEach((d, i) => {
      const [no, yes] = reference.lastLogits(Array.from(spec.encoder.encodePair(query, d, right, SEQ_CLS.defaultInstruction).ids), [2152, 9693]) as [number, number];
      expect(Math.abs((together[i] as number) - (yes - no)), d).toBeLessThan(1e-4);
    });
    for (const [i, d] of documents.entries()) expect(Math.abs(((await raw([d]))[0] as number) - (together[i] as number))).toBeLessThan(1e-5);
  });
});
