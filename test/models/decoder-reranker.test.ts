import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../../src/models/kinds/index.js';
import { answerIds, type DecoderRerankerSpec } from '../../src/models/kinds/decoder-reranker.js';
import { loadModel } from '../../src/models/registry.js';
import { sigmoid } from '../../src/runtime/heads/activation.js';
import { PROMPT_TEMPLATES } from '../../src/text/prompt-templates.js';
import { DecoderReference, type DecoderConfig } from '../support/decoder-reference.js';
import { rerankScores, scoresByIndex } from '../helpers/rerank-scores.js';
import { forgedDecoder } from '../support/forged-model.js';
import { testApp, type TestApp } from '../support/test-app.js';

const QWEN3 = PROMPT_TEMPLATES['qwen3-reranker'];
const query = 'what is the capital of France?';
const documents = [
  'Paris is the capital and largest city of France.',
  'Bananas are yellow.',
  'Berlin ist die Hauptstadt Deutschlands. 東京は日本の首都です。',
  'Emoji 🚀🔥 and accents: café, naïve, Ångström.',
  `A longer passage about rivers and cities ${'that keeps going with more words, '.repeat(12)}the end.`,
  'x',
];

let dir: string;
let reference: DecoderReference;
let spec: DecoderRerankerSpec;
let app: TestApp;

beforeAll(async () => {
  dir = await forgedDecoder();
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as DecoderConfig;
  reference = new DecoderReference(join(dir, 'onnx/model.onnx'), config);
  spec = loadModel('reranker', KINDS, dir, {}, { graphRewrites: true, limits: {} }).spec as DecoderRerankerSpec;
  app = await testApp({ model: dir, workers: '1', cacheMaxBytes: '0' });
});
afterAll(async () => app?.close());

/** The reference's raw score (logit(yes) - logit(no) at the last token) for the ids the service builds. */
function referenceRaw(ids: ArrayLike<number>): number {
  const [no, yes] = reference.lastLogits(Array.from(ids), answerIds(spec)) as [number, number];
  return yes - no;
}

const rerank = (payload: Record<string, unknown>, url?: string): Promise<number[]> => rerankScores(app.app, payload, url);

describe('a Qwen3ForCausalLM folder loads as a decoder reranker', () => {
  it('is read as the decoder kind with the card\'s prompt, answer tokens and limits', () => {
    const model = loadModel('reranker', KINDS, dir, {}, { graphRewrites: true, limits: {} });
    expect(model.kind.name).toBe('decoder-reranker');
    expect(spec.template).toBe('qwen3-reranker');
    // "no" then "yes" in the Qwen vocabulary (the card's token_false_id / token_true_id).
    expect(answerIds(spec)).toEqual([2152, 9693]);
    expect(spec.maxLength).toBe(8192);
    expect(model.engine.session.rewrites).toEqual(['score-head:2152,9693']);
  });

  it('builds prefix + body + suffix, each tokenized alone, with the default or a given instruction', () => {
    const tok = spec.tokenizer;
    const pair = spec.encoder.encodePair('q?', 'a doc', { direction: 'right', truncate: true }, QWEN3.defaultInstruction);
    const body = tok.encode(`<Instruct>: ${QWEN3.defaultInstruction}\n<Query>: q?\n<Document>: a doc`);
    expect(Array.from(pair.ids)).toEqual([...tok.encode(QWEN3.prefix), ...body, ...tok.encode(QWEN3.suffix)]);
    // The chat markers are single special tokens, as the card's tokenizer makes them.
    expect(pair.ids[0]).toBe(tok.idOf('<|im_start|>'));
    const suffix = tok.encode(QWEN3.suffix);
    expect(Array.from(pair.ids.slice(-suffix.length))).toEqual(suffix);
    for (const marker of ['<|im_end|>', '<think>', '</think>']) expect(suffix).toContain(tok.idOf(marker));
  });
});

describe('scores equal an independent float64 forward pass', () => {
  it('for a batch of mixed lengths, multilingual text and emoji (raw within 1e-4, P(yes) too)', async () => {
    const raw = await rerank({ query, documents, raw_scores: true });
    const probs = await rerank({ query, documents });
    documents.forEach((d, i) => {
      const want = referenceRaw(spec.encoder.encodePair(query, d, { direction: 'right', truncate: true }, QWEN3.defaultInstruction).ids);
      expect(Math.abs((raw[i] as number) - want), d).toBeLessThan(1e-4);
      expect(Math.abs((probs[i] as number) - sigmoid(want)), d).toBeLessThan(1e-4);
    });
    // The forged weights spread scores: the test would catch a constant or reordered output.
    expect(Math.max(...raw) - Math.min(...raw)).toBeGreaterThan(0.5);
  });

  it('a batch scores each pair as it scores alone (1e-5)', async () => {
    const together = await rerank({ query, documents, raw_scores: true });
    for (const [i, d] of documents.entries()) {
      const alone = await rerank({ query, documents: [d], raw_scores: true });
      expect(Math.abs((alone[0] as number) - (together[i] as number))).toBeLessThan(1e-5);
    }
  });

  it('the Jina and TEI shapes of /rerank give the same scores', async () => {
    const cohere = await rerank({ query, documents, raw_scores: true });
    const jina = await rerank({ query, documents, raw_scores: true }, '/rerank');
    const res = await app.app.inject({ method: 'POST', url: '/rerank', payload: { query, texts: documents, raw_scores: true } });
    expect(res.statusCode).toBe(200);
    const tei = scoresByIndex(res.json<{ index: number; score: number }[]>().map((r) => ({ index: r.index, relevance_score: r.score })));
    expect(jina).toEqual(cohere);
    expect(tei).toEqual(cohere);
  });

  it('an instruction changes the prompt and the scores, and is part of the cache key', async () => {
    const cached = await testApp({ model: dir, workers: '1' });
    try {
      const ask = async (instruction?: string) => {
        const res = await cached.app.inject({ method: 'POST', url: '/v2/rerank', payload: { query, documents, raw_scores: true, ...(instruction === undefined ? {} : { instruction }) } });
        expect(res.statusCode).toBe(200);
        const body = res.json<{ results: { index: number; relevance_score: number }[]; usage: { cached_pairs: number } }>();
        return { scores: scoresByIndex(body.results), cached: body.usage.cached_pairs };
      };
      const plain = await ask();
      const judged = await ask('Judge whether the passage names a capital city');
      expect(judged.cached).toBe(0);
      const want = referenceRaw(spec.encoder.encodePair(query, documents[0] as string, { direction: 'right', truncate: true }, 'Judge whether the passage names a capital city').ids);
      expect(Math.abs((judged.scores[0] as number) - want)).toBeLessThan(1e-4);
      expect(judged.scores).not.toEqual(plain.scores);
      expect((await ask('Judge whether the passage names a capital city')).cached).toBe(documents.length);
      expect((await ask()).cached).toBe(documents.length);
    } finally {
      await cached.close();
    }
  });
});

describe('truncation, as the card does it', () => {
  it('--max-length cuts the body from the right and keeps the whole suffix; the scores follow the cut ids', async () => {
    const short = await testApp({ model: dir, workers: '1', maxLength: '120', cacheMaxBytes: '0' });
    try {
      const shortSpec = loadModel('reranker', KINDS, dir, { maxLength: 120 }, { graphRewrites: true, limits: {} }).spec as DecoderRerankerSpec;
      const long = documents[4] as string;
      const pair = shortSpec.encoder.encodePair(query, long, { direction: 'right', truncate: true }, QWEN3.defaultInstruction);
      expect(pair.ids.length).toBe(120);
      const suffix = shortSpec.tokenizer.encode(QWEN3.suffix);
      expect(Array.from(pair.ids.slice(-suffix.length))).toEqual(suffix);
      const res = await short.app.inject({ method: 'POST', url: '/v2/rerank', payload: { query, documents: [long], raw_scores: true } });
      expect(Math.abs((res.json<{ results: { relevance_score: number }[] }>().results[0]?.relevance_score as number) - referenceRaw(pair.ids))).toBeLessThan(1e-4);
      // TEI's truncate: false refuses the same pair instead.
      const refused = await short.app.inject({ method: 'POST', url: '/rerank', payload: { query, texts: [long], truncate: false } });
      expect(refused.statusCode).toBe(413);
    } finally {
      await short.close();
    }
  });

  it('max_tokens_per_doc cuts the document\'s text at its N-th token before the body is formatted', async () => {
    const doc = 'Rivers flow to the sea, carrying silt and stories across the plains of old.';
    const n = 5;
    const firstFive = spec.tokenizer.encode(doc).slice(0, n);
    const pair = spec.encoder.encodePair(query, doc, { direction: 'right', truncate: true, maxTokensPerDoc: n }, QWEN3.defaultInstruction);
    // "Rivers" is two tokens (R, ivers) in Qwen's vocabulary.
    const cutText = 'Rivers flow to the';
    expect(spec.tokenizer.encode(cutText)).toEqual(firstFive);
    expect(Array.from(pair.ids)).toEqual(Array.from(spec.encoder.encodePair(query, cutText, { direction: 'right', truncate: true }, QWEN3.defaultInstruction).ids));
    const raw = await rerank({ query, documents: [doc], raw_scores: true, max_tokens_per_doc: n });
    expect(Math.abs((raw[0] as number) - referenceRaw(pair.ids))).toBeLessThan(1e-4);
  });
});

describe('the score-head rewrite', () => {
  it('gives the full graph\'s scores (1e-4) with logits of two columns at the last token', async () => {
    const full = await testApp({ model: dir, workers: '1', graphRewrites: 'false', cacheMaxBytes: '0' });
    try {
      const unrewritten = await rerankScores(full.app, { query, documents, raw_scores: true });
      const rewritten = await rerank({ query, documents, raw_scores: true });
      rewritten.forEach((r, i) => expect(Math.abs(r - (unrewritten[i] as number))).toBeLessThan(1e-4));
    } finally {
      await full.close();
    }
  });
});
