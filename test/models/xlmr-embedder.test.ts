import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { LocalEngine } from '../../src/engine/local-engine.js';
import { loadCrossEncoder } from '../../src/models/kinds/cross-encoder.js';
import { loadEmbedder, type EmbedderSpec } from '../../src/models/kinds/embedder.js';
import { shapeVector } from '../../src/pipelines/embed-pipeline.js';
import { engineModels } from '../support/engine-models.js';
import { embedderFixture } from '../support/hf-fixture.js';
import { packTexts } from '../../src/text/packed-texts.js';

/**
 * A sentence-transformers XLM-R embedder in bge-m3's dense layout (CLS pooling, Normalize), with
 * SentenceTransformer.encode's vectors and ids (test/fixtures/hf/make_fixtures.py).
 */
const { dir: FIXTURE, reference } = embedderFixture('xlmr-st-cls');
const RERANKER = new URL('../fixtures/hf/xlmr-cross-encoder/', import.meta.url).pathname;
const ids = JSON.parse(readFileSync(new URL('../fixtures/hf/xlmr-spm/ids.json', import.meta.url), 'utf8')) as {
  strings: { text: string; sentencepiece: number[]; rust_tokenizers: number[] }[];
};
/**
 * Texts on which the Rust tokenizers that sentence-transformers runs part from SentencePiece (one:
 * half-width katakana with voiced marks). We give SentencePiece's ids there, so sentence-transformers'
 * vector is not the reference for them.
 */
const RUST_DIFFERS = new Set(ids.strings.filter((r) => JSON.stringify(r.rust_tokenizers) !== JSON.stringify(r.sentencepiece)).map((r) => r.text));
const TRUNCATION = { direction: 'right' as const, truncate: true };

let spec: EmbedderSpec;
let engine: LocalEngine;
beforeAll(async () => {
  spec = loadEmbedder(FIXTURE, {});
  const reranker = loadCrossEncoder(RERANKER, {});
  const models = engineModels({ reranker, embedder: spec }, buildConfig({ model: RERANKER, embeddingModel: FIXTURE })).filter((m) => m.label === 'embedder');
  engine = await LocalEngine.create(models, 1);
});
afterAll(async () => engine?.close());

describe('an XLM-R sentence-transformers embedder with CLS pooling (issue 13)', () => {
  it('is read the way sentence-transformers reads it', () => {
    expect(spec.maxLength).toBe(reference.max_seq_length);
    expect(spec.pooling).toEqual({ modes: ['cls'], normalize: true });
    expect(spec.tokenizer.padId).toBe(1);
    expect(spec.tokenizer.templates.single.specialCount).toBe(2);
  });

  it('tokenizes as sentence-transformers did, except where the Rust tokenizers part from SentencePiece', () => {
    expect(reference.texts.filter((t) => RUST_DIFFERS.has(t))).toEqual(['ﾊﾝｶｸ ｶﾀｶﾅ ｶﾞｷﾞｸﾞ']);
    reference.texts.forEach((text, i) => {
      const ours = Array.from(spec.encoder.encode(text, TRUNCATION).ids);
      if (RUST_DIFFERS.has(text)) {
        const sp = ids.strings.find((r) => r.text === text)?.sentencepiece ?? [];
        expect(ours, text).toEqual([0, ...sp, 2]);
        expect(ours, text).not.toEqual(reference.input_ids[i]);
      } else {
        expect(ours, text).toEqual(reference.input_ids[i]);
      }
    });
    expect(reference.input_ids.some((row) => row.length === reference.max_seq_length)).toBe(true);
  });

  it('gives sentence-transformers\' embeddings within 1e-5 per component', async () => {
    const out = await engine.run('embedder', { kind: 'texts', texts: packTexts(reference.texts), truncation: TRUNCATION });
    expect(out.width).toBe(32);
    let worst = 0;
    reference.texts.forEach((text, i) => {
      if (RUST_DIFFERS.has(text)) return;
      const v = shapeVector(out.output.slice(i * out.width, (i + 1) * out.width), { normalize: spec.pooling.normalize });
      const expected = reference.embeddings[i] as number[];
      v.forEach((x, d) => (worst = Math.max(worst, Math.abs(x - (expected[d] as number)))));
    });
    expect(worst).toBeLessThan(1e-5);
  });
});
