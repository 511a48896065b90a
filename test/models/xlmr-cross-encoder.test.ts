import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { LocalEngine } from '../../src/engine/local-engine.js';
import { loadCrossEncoder, type CrossEncoderSpec } from '../../src/models/kinds/cross-encoder.js';
import { ModelSession } from '../../src/runtime/onnx-session.js';
import { engineModels } from '../support/engine-models.js';
import { packTexts } from '../../src/text/packed-texts.js';

/**
 * An XLMRobertaForSequenceClassification written outside this project: torch weights exported to
 * ONNX by torch at opset 14, the tokenizer.json transformers' converter wrote, and per pair the ids
 * the Rust tokenizers gave at max_length 64 (longest_first) and the torch logit
 * (test/fixtures/hf/make_fixtures.py).
 */
const FIXTURE = new URL('../fixtures/hf/xlmr-cross-encoder/', import.meta.url).pathname;
interface Reference {
  max_length: number;
  pairs: { query: string; document: string; input_ids: number[]; logit: number }[];
}
const reference = JSON.parse(readFileSync(join(FIXTURE, 'reference.json'), 'utf8')) as Reference;
const TRUNCATION = { direction: 'right' as const, truncate: true };

let spec: CrossEncoderSpec;
let engine: LocalEngine;
beforeAll(async () => {
  spec = loadCrossEncoder(FIXTURE, {});
  const [reranker] = engineModels({ reranker: spec, embedder: undefined }, buildConfig({ model: FIXTURE }));
  engine = await LocalEngine.create(reranker === undefined ? [] : [reranker], 1);
});
afterAll(async () => engine?.close());

describe('an XLM-RoBERTa cross-encoder from the Hugging Face stack (issue 13)', () => {
  it('is read as the hub lays it out: 64 tokens (tokenizer limit), pad id 1, the 4-token pair template, no token type ids', () => {
    expect(spec.maxLength).toBe(reference.max_length);
    expect(spec.tokenizer.padId).toBe(1);
    expect(spec.tokenizer.templates.pair.specialCount).toBe(4);
    expect(spec.tokenizer.templates.pair.usesTypeIds).toBe(false);
  });

  it('gives the reference input ids for every pair, longest_first truncation included', () => {
    for (const p of reference.pairs) {
      const ids = spec.encoder.encodePair(spec.encoder.encodeQuery(p.query, TRUNCATION), p.document, TRUNCATION).ids;
      expect(Array.from(ids), p.query.slice(0, 30)).toEqual(p.input_ids);
    }
    // Both sides overflow in one pair and one side in others, so the rule is exercised, not just the template.
    expect(reference.pairs.filter((p) => p.input_ids.length === reference.max_length).length).toBeGreaterThanOrEqual(3);
  });

  it('scores every pair through the service\'s engine equal to torch within 1e-4', async () => {
    let worst = 0;
    for (const p of reference.pairs) {
      const out = await engine.run('reranker', { kind: 'pairs', query: p.query, documents: packTexts([p.document]), truncation: TRUNCATION });
      worst = Math.max(worst, Math.abs((out.output[0] as number) - p.logit));
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('scores them equal to torch in one padded batch too (padding with id 1 leaves position ids alone)', async () => {
    const session = await ModelSession.create({ onnxPath: spec.folder.onnxPath, padId: spec.tokenizer.padId, head: spec.head, label: 'reranker' });
    try {
      const sequences = reference.pairs.map((p) => spec.encoder.encodePair(spec.encoder.encodeQuery(p.query, TRUNCATION), p.document, TRUNCATION));
      const { data } = await session.run(sequences);
      reference.pairs.forEach((p, i) => expect(Math.abs((data[i] as number) - p.logit), p.query.slice(0, 30)).toBeLessThan(1e-4));
    } finally {
      await session.release();
    }
  });
});
