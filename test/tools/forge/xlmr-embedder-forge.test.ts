import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config.js';
import { LocalEngine } from '../../../src/engine/local-engine.js';
import { loadCrossEncoder } from '../../../src/models/kinds/cross-encoder.js';
import { loadEmbedder, type EmbedderSpec } from '../../../src/models/kinds/embedder.js';
import { shapeVector } from '../../../src/pipelines/embed-pipeline.js';
import { engineModels } from '../../support/engine-models.js';
import { forgeModel } from '../../../src/tools/forge/index.js';
import { loadReference, type ReferenceModel } from '../../support/bert-reference.js';
import { tempDir } from './helpers.js';
import { packTexts } from '../../../src/text/packed-texts.js';

const TEXTS = [
  'hello world',
  'Paris is the capital of France.',
  'क्\u200dष त्र ज्ञ',
  '👨\u200d👩\u200d👧 family',
  'ﾊﾝｶｸ ｶﾀｶﾅ ｶﾞｷﾞｸﾞ',
  '  leading and   multiple   spaces  ',
  '',
  'the search engine ranks documents by relevance '.repeat(20),
];
const TRUNCATION = { direction: 'right' as const, truncate: true };

let root: Awaited<ReturnType<typeof tempDir>>;
let dir: string;
let spec: EmbedderSpec;
let ref: ReferenceModel;
let engine: LocalEngine;
beforeAll(async () => {
  root = await tempDir('forge-xlmr-embed-');
  dir = (await forgeModel({ out: path.join(root.dir, 'embed-xlmr-tiny'), preset: 'embed-xlmr-tiny' })).dir;
  const reranker = (await forgeModel({ out: path.join(root.dir, 'xlmr-tiny'), preset: 'xlmr-tiny' })).dir;
  // 64 tokens keeps the float64 reference quick while still cutting the long text.
  spec = loadEmbedder(dir, { maxLength: 64 });
  ref = await loadReference(dir);
  const models = engineModels({ reranker: loadCrossEncoder(reranker, {}), embedder: spec }, buildConfig({ model: reranker, embeddingModel: dir })).filter(
    (m) => m.label === 'embedder',
  );
  engine = await LocalEngine.create(models, 1);
});
afterAll(async () => {
  await engine?.close();
  await root?.cleanup();
});

describe('forge --preset embed-xlmr-tiny (bge-m3\'s dense layout, issue 13)', () => {
  it('writes a sentence-transformers XLM-R folder with CLS pooling and Normalize', () => {
    const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    expect(json('config.json')).toMatchObject({ architectures: ['XLMRobertaModel'], model_type: 'xlm-roberta', pad_token_id: 1 });
    expect(json('1_Pooling/config.json')).toMatchObject({ word_embedding_dimension: 32, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false });
    expect(json('sentence_bert_config.json')).toMatchObject({ max_seq_length: 512 });
    expect(loadEmbedder(dir, {}).maxLength).toBe(512);
    expect(spec.pooling).toEqual({ modes: ['cls'], normalize: true });
  });

  it('embeds through the service\'s engine equal to a float64 forward pass (first token, normalised) within 1e-5', async () => {
    const out = await engine.run('embedder', { kind: 'texts', texts: packTexts(TEXTS), truncation: TRUNCATION });
    expect(out.width).toBe(32);
    let worst = 0;
    TEXTS.forEach((text, i) => {
      const ids = Array.from(spec.encoder.encode(text, TRUNCATION).ids);
      if (i === TEXTS.length - 1) expect(ids).toHaveLength(64);
      const cls = ref.hidden({ inputIds: [ids], attentionMask: [ids.map(() => 1)] })[0]?.[0] as number[];
      const norm = Math.hypot(...cls);
      const ours = shapeVector(out.output.slice(i * 32, (i + 1) * 32), { normalize: true });
      ours.forEach((v, d) => (worst = Math.max(worst, Math.abs(v - (cls[d] as number) / norm))));
    });
    expect(worst).toBeLessThan(1e-5);
  });
});
