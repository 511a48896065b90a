import { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBatches } from '../../src/engine/batch-plan.js';
import { sigmoid } from '../../src/runtime/heads/activation.js';
import { loadCrossEncoder, type CrossEncoderSpec } from '../../src/models/kinds/cross-encoder.js';
import { ModelSession } from '../../src/runtime/onnx-session.js';
import type { EncodedPair } from '../../src/text/pair-encoder.js';
import { loadReference, type ReferenceModel } from '../support/bert-reference.js';
import { forgedModel } from '../support/forged-model.js';

/** The Rust tokenizers' longest_first, written the way the Rust code is, as an independent check. */
function rustLongestFirst(a: number[], b: number[], maxLength: number): [number[], number[]] {
  if (a.length + b.length <= maxLength) return [a, b];
  let n1 = a.length;
  let n2 = b.length;
  const swap = n1 > n2;
  if (swap) [n1, n2] = [n2, n1];
  n2 = n1 > maxLength ? n1 : Math.max(n1, maxLength - n1);
  if (n1 + n2 > maxLength) {
    n1 = Math.floor(maxLength / 2);
    n2 = n1 + (maxLength % 2);
  }
  if (swap) [n1, n2] = [n2, n1];
  return [a.slice(0, n1), b.slice(0, n2)];
}

/** Runs pairs through a session in length-sorted batches, as the engine would, on this thread. */
class SessionScorer {
  constructor(
    private readonly session: ModelSession,
    private readonly maxBatchSize: number,
  ) {}

  async score(pairs: EncodedPair[]): Promise<{ scores: Float32Array }> {
    const scores = new Float32Array(pairs.length);
    for (const batch of planBatches(pairs.map((p) => p.ids.length), { maxBatchSize: this.maxBatchSize, maxBatchTokens: 100_000 })) {
      const out = await this.session.run(batch.map((i) => pairs[i] as EncodedPair));
      batch.forEach((index, row) => (scores[index] = out.data[row] as number));
    }
    return { scores };
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

interface Loaded {
  spec: CrossEncoderSpec;
  scorer: SessionScorer;
  ref: ReferenceModel;
  hf: Tokenizer;
}

async function load(opts: Parameters<typeof forgedModel>[0], maxBatchSize = 8): Promise<Loaded> {
  const dir = await forgedModel(opts);
  const spec = loadCrossEncoder(dir, {});
  const session = await ModelSession.create({ onnxPath: spec.folder.onnxPath, head: spec.head, padId: spec.tokenizer.padId, label: 'reranker' });
  const hf = new Tokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')));
  return { spec, scorer: new SessionScorer(session, maxBatchSize), ref: await loadReference(dir), hf };
}

/** Reference ids for a pair: the library's own [CLS] A [SEP] B [SEP] layout on Rust-truncated pieces. */
function referenceIds(l: Loaded, query: string, doc: string): { ids: number[]; types: number[] } {
  const q = l.hf.encode(query, { add_special_tokens: false }).ids;
  const d = l.hf.encode(doc, { add_special_tokens: false }).ids;
  const [qa, db] = rustLongestFirst(q, d, l.spec.maxLength - 3);
  return { ids: [101, ...qa, 102, ...db, 102], types: [...qa.map(() => 0), 0, 0, ...db.map(() => 1), 1] };
}

const words = 'the search engine ranks documents by relevance paris france capital tower river museum bread cheese wine history art science'.split(' ');
function text(n: number, salt: number): string {
  return Array.from({ length: n }, (_, i) => words[(i * 7 + salt * 3) % words.length]).join(' ');
}

let short: Loaded;
afterAll(async () => short?.scorer.close());
beforeAll(async () => {
  short = await load({ maxPositions: 64 });
});

describe('pair encoding follows Hugging Face tokenization semantics', () => {
  it('equals the library encoding of the full pair when it fits', () => {
    const query = 'Where is the Eiffel tower?';
    const doc = "It's in Paris, France — a city of 2.1 million.";
    const full = short.hf.encode(query, { text_pair: doc, return_token_type_ids: true });
    const ours = short.spec.encoder.encodePair(short.spec.encoder.encodeQuery(query), doc, { direction: 'right', truncate: true });
    expect(Array.from(ours.ids)).toEqual(full.ids);
    expect(Array.from(ours.typeIds)).toEqual(full.token_type_ids);
  });

  it('truncates long documents and long query+document pairs like the Rust tokenizers', () => {
    expect(short.spec.maxLength).toBe(64);
    for (const [qn, dn] of [[5, 200], [40, 45], [80, 10], [61, 61], [30, 31]] as const) {
      const query = text(qn, 1);
      const doc = text(dn, 2);
      const ours = short.spec.encoder.encodePair(short.spec.encoder.encodeQuery(query), doc, { direction: 'right', truncate: true });
      const ref = referenceIds(short, query, doc);
      expect(Array.from(ours.ids), `${qn}+${dn}`).toEqual(ref.ids);
      expect(Array.from(ours.typeIds)).toEqual(ref.types);
      expect(ours.ids.length).toBeLessThanOrEqual(64);
    }
  });

  it('cuts from the left when asked, and applies max_tokens_per_doc to the document first', () => {
    const q = short.spec.encoder.encodeQuery('query');
    const doc = text(100, 3);
    const docIds = short.hf.encode(doc, { add_special_tokens: false }).ids;
    const left = short.spec.encoder.encodePair(q, doc, { direction: 'left', truncate: true });
    expect(Array.from(left.ids)).toEqual([101, ...q, 102, ...docIds.slice(docIds.length - (64 - 3 - q.length)), 102]);
    const capped = short.spec.encoder.encodePair(q, doc, { direction: 'right', truncate: true, maxTokensPerDoc: 10 });
    expect(Array.from(capped.ids)).toEqual([101, ...q, 102, ...docIds.slice(0, 10), 102]);
  });
});

describe('scores equal a plain TypeScript forward pass on the same weights', () => {
  it('within 1e-4, truncated pairs and padded batches included', async () => {
    const queries = ['capital of france', text(50, 4)];
    const docs = [text(3, 1), text(20, 2), text(120, 3), 'Paris is the capital of France.', text(45, 5), ''];
    const pairs: EncodedPair[] = [];
    const refs: number[] = [];
    for (const query of queries) {
      for (const doc of docs) {
        pairs.push(short.spec.encoder.encodePair(short.spec.encoder.encodeQuery(query), doc, { direction: 'right', truncate: true }));
        const r = referenceIds(short, query, doc);
        refs.push(short.ref.logits({ inputIds: [r.ids], attentionMask: [r.ids.map(() => 1)], tokenTypeIds: [r.types] })[0]?.[0] as number);
      }
    }
    const { scores } = await short.scorer.score(pairs);
    scores.forEach((s, i) => expect(Math.abs(s - (refs[i] as number)), `pair ${i}`).toBeLessThan(1e-4));
    // Forged weights must spread scores, or an ordering bug could hide behind ties.
    expect(new Set(Array.from(scores, (s) => s.toFixed(3))).size).toBe(pairs.length);
  });

  it('scores a document the same alone and inside a padded batch (within 1e-5)', async () => {
    const q = short.spec.encoder.encodeQuery('capital of france');
    const opts = { direction: 'right', truncate: true } as const;
    const target = short.spec.encoder.encodePair(q, 'Paris is the capital.', opts);
    const alone = (await short.scorer.score([target])).scores[0] as number;
    const fillers = [text(55, 1), text(30, 2), text(5, 3)].map((d) => short.spec.encoder.encodePair(q, d, opts));
    const { scores: inBatch } = await short.scorer.score([fillers[0] as EncodedPair, target, fillers[1] as EncodedPair, fillers[2] as EncodedPair]);
    expect(Math.abs((inBatch[1] as number) - alone)).toBeLessThan(1e-5);
  });
});

describe('other head and input layouts', () => {
  it('two labels: the relevance score is the softmax probability of label 1', async () => {
    const two = await load({ numLabels: 2 });
    try {
      const r = referenceIds(two, 'capital of france', 'Paris is the capital of France.');
      const pair = two.spec.encoder.encodePair(two.spec.encoder.encodeQuery('capital of france'), 'Paris is the capital of France.', { direction: 'right', truncate: true });
      const raw = (await two.scorer.score([pair])).scores[0] as number;
      const [l0, l1] = two.ref.logits({ inputIds: [r.ids], attentionMask: [r.ids.map(() => 1)], tokenTypeIds: [r.types] })[0] as number[];
      const p1 = Math.exp(l1 as number) / (Math.exp(l0 as number) + Math.exp(l1 as number));
      expect(Math.abs(sigmoid(raw) - p1)).toBeLessThan(1e-5);
    } finally {
      await two.scorer.close();
    }
  });

  it('a graph without token_type_ids is fed none and still matches the reference', async () => {
    const noTypes = await load({ tokenTypeIds: false });
    try {
      const pair = noTypes.spec.encoder.encodePair(noTypes.spec.encoder.encodeQuery('capital'), 'Paris', { direction: 'right', truncate: true });
      const raw = (await noTypes.scorer.score([pair])).scores[0] as number;
      const ids = Array.from(pair.ids);
      const ref = noTypes.ref.logits({ inputIds: [ids], attentionMask: [ids.map(() => 1)] })[0]?.[0] as number;
      expect(noTypes.ref.hasTokenTypeIds).toBe(false);
      expect(Math.abs(raw - ref)).toBeLessThan(1e-4);
    } finally {
      await noTypes.scorer.close();
    }
  });
});
