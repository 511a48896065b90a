import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config.js';
import { LocalEngine } from '../../../src/engine/local-engine.js';
import { loadCrossEncoder } from '../../../src/models/kinds/cross-encoder.js';
import { loadEmbedder, type EmbedderSpec } from '../../../src/models/kinds/embedder.js';
import { engineModels } from '../../support/engine-models.js';
import { loadReference, type ReferenceModel } from '../../support/bert-reference.js';
import { forgedModel } from '../../support/forged-model.js';
import { packTexts } from '../../../src/text/packed-texts.js';

const TEXTS = ['hello world', 'Paris is the capital of France.', 'a', '', 'the search engine ranks documents by relevance '.repeat(30)];

let dir: string;
let spec: EmbedderSpec;
let ref: ReferenceModel;
let engine: LocalEngine;
beforeAll(async () => {
  dir = await forgedModel({ preset: 'embed-tiny' });
  spec = loadEmbedder(dir, {});
  ref = await loadReference(dir);
  const reranker = loadCrossEncoder(await forgedModel(), {});
  const models = engineModels({ reranker, embedder: spec }, buildConfig({ model: reranker.folder.dir, embeddingModel: dir })).filter((m) => m.label === 'embedder');
  engine = await LocalEngine.create(models, 1);
});
afterAll(async () => engine?.close());

describe('forge --preset embed-tiny', () => {
  it('writes a sentence-transformers folder in the all-MiniLM-L6-v2 layout', () => {
    const modules = JSON.parse(readFileSync(join(dir, 'modules.json'), 'utf8')) as { type: string; path: string }[];
    expect(modules.map((m) => m.type.split('.').at(-1))).toEqual(['Transformer', 'Pooling', 'Normalize']);
    expect(JSON.parse(readFileSync(join(dir, 'sentence_bert_config.json'), 'utf8'))).toMatchObject({ max_seq_length: 128 });
    expect(JSON.parse(readFileSync(join(dir, '1_Pooling/config.json'), 'utf8'))).toMatchObject({ word_embedding_dimension: 32, pooling_mode_mean_tokens: true });
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({ architectures: ['BertModel'] });
    expect(existsSync(join(dir, 'onnx/model.onnx'))).toBe(true);
    // max_seq_length (128) wins over the tokenizer's model_max_length (512).
    expect(spec.maxLength).toBe(128);
    expect(spec.pooling).toEqual({ modes: ['mean'], normalize: true });
  });

  it('its ONNX graph plus mean pooling equals a plain TypeScript forward pass within 1e-5', async () => {
    const out = await engine.run('embedder', { kind: 'texts', texts: packTexts(TEXTS), truncation: { direction: 'right', truncate: true } });
    expect(out.width).toBe(32);
    TEXTS.forEach((text, i) => {
      const ids = Array.from(spec.encoder.encode(text, { direction: 'right', truncate: true }).ids);
      if (i === TEXTS.length - 1) expect(ids).toHaveLength(128);
      const [hidden] = ref.hidden({ inputIds: [ids], attentionMask: [ids.map(() => 1)], tokenTypeIds: [ids.map(() => 0)] });
      const mean = Array.from({ length: 32 }, (_, d) => (hidden as number[][]).reduce((a, row) => a + (row[d] as number), 0) / ids.length);
      for (let d = 0; d < 32; d++) expect(Math.abs((out.output[i * 32 + d] as number) - (mean[d] as number)), `${text.slice(0, 20)} [${d}]`).toBeLessThan(1e-5);
    });
  });
});
