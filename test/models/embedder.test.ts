import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import type { EngineModel } from '../../src/engine/engine.js';
import { LocalEngine } from '../../src/engine/local-engine.js';
import { ModelLoadError } from '../../src/errors.js';
import { loadCrossEncoder } from '../../src/models/kinds/cross-encoder.js';
import { loadEmbedder } from '../../src/models/kinds/embedder.js';
import { shapeVector } from '../../src/pipelines/embed-pipeline.js';
import { ModelSession } from '../../src/runtime/onnx-session.js';
import { engineModels } from '../support/engine-models.js';
import { DataType, folderWithOutputCast } from '../support/onnx-output-cast.js';
import { forgedModel } from '../support/forged-model.js';
import { copyOf } from '../support/folders.js';
import { embedderFixture } from '../support/hf-fixture.js';
import { packTexts } from '../../src/text/packed-texts.js';

/** Written by sentence-transformers 6.0.1 from a torch BertModel (test/fixtures/hf/make_fixtures.py). */
const { dir: FIXTURE, reference } = embedderFixture('bert-st-mean');

/** The engine models the service would build for an embedder folder (its reranker is any forged one). */
async function embedderModels(dir: string, onnxFile?: string): Promise<EngineModel[]> {
  const reranker = loadCrossEncoder(await forgedModel(), {});
  const config = buildConfig({ model: reranker.folder.dir, embeddingModel: dir, embeddingOnnxFile: onnxFile });
  return engineModels({ reranker, embedder: loadEmbedder(dir, { onnxFile }) }, config).filter((m) => m.label === 'embedder');
}

/** Embeds texts as the service does (pooled in the worker, normalised as the model's Normalize module says). */
async function embed(dir: string, texts: string[], onnxFile?: string): Promise<Float32Array[]> {
  const engine = await LocalEngine.create(await embedderModels(dir, onnxFile), 1);
  try {
    const spec = loadEmbedder(dir, { onnxFile });
    const out = await engine.run('embedder', { kind: 'texts', texts: packTexts(texts), truncation: { direction: 'right', truncate: true } });
    return texts.map((_, i) => shapeVector(out.output.slice(i * out.width, (i + 1) * out.width), { normalize: spec.pooling.normalize }));
  } finally {
    await engine.close();
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

describe('a sentence-transformers folder written outside this project (all-MiniLM-L6-v2 layout)', () => {
  it('is read the way sentence-transformers reads it', () => {
    const spec = loadEmbedder(FIXTURE, {});
    // sentence_bert_config.json's max_seq_length (24) wins over tokenizer_config's model_max_length (64).
    expect(spec.maxLength).toBe(reference.max_seq_length);
    expect(spec.pooling).toEqual({ modes: ['mean'], normalize: true });
    expect(spec.dimensions).toBe(32);
  });

  it('tokenizes every text as sentence-transformers did, long ones cut to max_seq_length', () => {
    const spec = loadEmbedder(FIXTURE, {});
    reference.texts.forEach((text, i) => {
      expect(Array.from(spec.encoder.encode(text, { direction: 'right', truncate: true }).ids), text).toEqual(reference.input_ids[i]);
    });
    expect(reference.input_ids.some((ids) => ids.length === reference.max_seq_length)).toBe(true);
  });

  it('gives sentence-transformers\' embeddings within 1e-5 per component', async () => {
    const vectors = await embed(FIXTURE, reference.texts);
    vectors.forEach((v, i) => expect(maxDiff(v, reference.embeddings[i] as number[]), reference.texts[i]).toBeLessThan(1e-5));
  });
});

describe('model outputs are checked', () => {
  it('converts a float16 output (raw Uint16 bits on Node 20) to float32', async () => {
    const fp16 = folderWithOutputCast(FIXTURE, DataType.FLOAT16, 'onnx/model_fp16.onnx');
    try {
      const vectors = await embed(fp16.dir, reference.texts.slice(0, 6), fp16.file);
      // float16 keeps ~3 decimal digits; read as integers the components would be in the thousands.
      vectors.forEach((v, i) => expect(maxDiff(v, reference.embeddings[i] as number[])).toBeLessThan(2e-3));
    } finally {
      rmSync(fp16.dir, { recursive: true, force: true });
    }
  });

  it('refuses any other output type at load with a clear message', async () => {
    const doubles = folderWithOutputCast(FIXTURE, DataType.DOUBLE);
    try {
      const spec = loadEmbedder(doubles.dir, { onnxFile: doubles.file });
      const create = ModelSession.create({ onnxPath: spec.folder.onnxPath, padId: 0, head: spec.head, label: 'embedder' });
      await expect(create).rejects.toBeInstanceOf(ModelLoadError);
      await expect(create).rejects.toThrow(/last_hidden_state is float64; only float32 and float16 outputs are supported/);
    } finally {
      rmSync(doubles.dir, { recursive: true, force: true });
    }
  });
});

describe('sentence-transformers pipelines other than mean + Normalize', () => {
  let dir: string;
  beforeAll(() => {
    dir = copyOf(FIXTURE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('without modules.json: mean pooling and no normalisation, as sentence-transformers builds it', () => {
    rmSync(join(dir, 'modules.json'));
    const spec = loadEmbedder(dir, {});
    expect(spec.pooling).toEqual({ modes: ['mean'], normalize: false });
  });

  it('several pooling modes concatenate in sentence-transformers\' order; the single-key form is read too', () => {
    writeFileSync(join(dir, 'modules.json'), readFileSync(join(FIXTURE, 'modules.json')));
    const pooling = JSON.parse(readFileSync(join(FIXTURE, '1_Pooling/config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, '1_Pooling/config.json'), JSON.stringify({ ...pooling, pooling_mode_cls_token: true, pooling_mode_max_tokens: true }));
    expect(loadEmbedder(dir, {}).pooling.modes).toEqual(['cls', 'max', 'mean']);
    expect(loadEmbedder(dir, {}).dimensions).toBe(96);
    writeFileSync(join(dir, '1_Pooling/config.json'), JSON.stringify({ word_embedding_dimension: 32, pooling_mode: 'lasttoken' }));
    expect(loadEmbedder(dir, {}).pooling.modes).toEqual(['lasttoken']);
  });

  it('a Dense module needs a graph that outputs sentence_embedding, and says so', async () => {
    const modules = JSON.parse(readFileSync(join(FIXTURE, 'modules.json'), 'utf8')) as object[];
    writeFileSync(join(dir, 'modules.json'), JSON.stringify([...modules.slice(0, 2), { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' }]));
    const spec = loadEmbedder(dir, {});
    expect(spec.graphModules).toEqual(['sentence_transformers.models.Dense']);
    await expect(ModelSession.create({ onnxPath: spec.folder.onnxPath, padId: 0, head: spec.head, label: 'embedder' })).rejects.toThrow(/sentence_transformers.models.Dense, which only the graph can run/);
  });
});
