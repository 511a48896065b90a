import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config.js';
import { LocalEngine } from '../../../src/engine/local-engine.js';
import { loadCrossEncoder, type CrossEncoderSpec } from '../../../src/models/kinds/cross-encoder.js';
import { ModelSession } from '../../../src/runtime/onnx-session.js';
import { engineModels } from '../../support/engine-models.js';
import { forgeModel, initializerNames, matMulWeightNames, PRESETS, XLMR_ASSETS } from '../../../src/tools/forge/index.js';
import { decodeModel } from '../../../src/graph/onnx-proto.js';
import { loadReference, type ReferenceModel } from '../../support/bert-reference.js';
import { tempDir } from './helpers.js';
import { packTexts } from '../../../src/text/packed-texts.js';

const FIXTURE = new URL('../../fixtures/hf/xlmr-spm/', import.meta.url).pathname;
const TRUNCATION = { direction: 'right' as const, truncate: true };
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** Multilingual pairs, the ZWJ cases included, and pairs where one or both sides overflow 48 tokens. */
const PAIRS: [string, string][] = [
  ['capital of france', 'Paris is the capital of France.'],
  ['Москва', 'Москва — столица России, а Санкт-Петербург — северная столица.'],
  ['東京', '東京は日本の首都です。北京是中国的首都。'],
  ['क्\u200dष', 'क्\u200dष त्र ज्ञ क्ष हिन्दी भाषा में लिखा गया पाठ।'],
  ['👩\u200d💻 coder', '👨\u200d👩\u200d👧 family and 👩\u200d💻 coder'],
  ['ﾊﾝｶｸ ｶﾀｶﾅ', 'ｈａｌｆ ａｎｄ ＦＵＬＬ－ＷＩＤＴＨ １２３ ﾊﾝｶｸ ｶﾀｶﾅ ｶﾞｷﾞｸﾞ'],
  ['short', 'a long document about the search engine and its index '.repeat(8)],
  ['a long query about ranking '.repeat(12), 'short document'],
  ['both overflow query words here '.repeat(14), 'both overflow document words there '.repeat(11)],
  ['the document is longer '.repeat(9), 'than the query in this pair '.repeat(14)],
];

let root: Awaited<ReturnType<typeof tempDir>>;
let dir: string;
let spec: CrossEncoderSpec;
let ref: ReferenceModel;
beforeAll(async () => {
  root = await tempDir('forge-xlmr-');
  dir = (await forgeModel({ out: path.join(root.dir, 'xlmr-tiny'), preset: 'xlmr-tiny' })).dir;
  spec = loadCrossEncoder(dir, { maxLength: 48 });
  ref = await loadReference(dir);
});
afterAll(async () => root?.cleanup());

describe('forge --preset xlmr-tiny (issue 13)', () => {
  it('writes an XLM-R folder as the hub lays out bge-reranker-v2-m3: config, SentencePiece model, tokenizer.json', () => {
    expect(readJson(path.join(dir, 'config.json'))).toMatchObject({
      architectures: ['XLMRobertaForSequenceClassification'],
      model_type: 'xlm-roberta',
      pad_token_id: 1,
      bos_token_id: 0,
      eos_token_id: 2,
      vocab_size: 888,
      type_vocab_size: 1,
      layer_norm_eps: 1e-5,
      max_position_embeddings: 514,
      forge: { preset: 'xlmr-tiny', seed: 42 },
    });
    for (const file of ['sentencepiece.bpe.model', 'tokenizer.json', 'special_tokens_map.json']) {
      expect(readFileSync(path.join(dir, file)).equals(readFileSync(path.join(FIXTURE, file))), file).toBe(true);
    }
    // As save_pretrained writes it: special tokens as strings (transformers.js refuses objects), <mask> the last id.
    expect(readJson(path.join(dir, 'tokenizer_config.json'))).toMatchObject({
      model_max_length: 512,
      tokenizer_class: 'XLMRobertaTokenizer',
      bos_token: '<s>',
      cls_token: '<s>',
      eos_token: '</s>',
      sep_token: '</s>',
      pad_token: '<pad>',
      unk_token: '<unk>',
      mask_token: '<mask>',
      added_tokens_decoder: { '0': { content: '<s>' }, '1': { content: '<pad>' }, '2': { content: '</s>' }, '3': { content: '<unk>' }, '887': { content: '<mask>', lstrip: true } },
    });
    // Without --max-length the service reads 512 tokens: the position table less RoBERTa's offset of 2.
    expect(loadCrossEncoder(dir, {}).maxLength).toBe(512);
  });

  it('ships the fixture\'s vocabulary unchanged in the forge\'s assets', () => {
    for (const file of ['sentencepiece.bpe.model', 'tokenizer.json', 'special_tokens_map.json']) {
      expect(readFileSync(path.join(XLMR_ASSETS, file)).equals(readFileSync(path.join(FIXTURE, file))), file).toBe(true);
    }
  });

  it('writes the export pattern: two inputs, position ids counted in the graph, no position_ids table', async () => {
    const graph = decodeModel(await readFile(path.join(dir, 'onnx/model.onnx'))).graph;
    expect(graph?.input?.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    expect(graph?.output?.map((o) => o.name)).toEqual(['logits']);
    const inits = new Set((graph?.initializer ?? []).map((t) => t.name));
    for (const n of initializerNames(2, true, 'xlm-roberta')) expect(inits.has(n), n).toBe(true);
    expect([...inits].some((n) => n?.includes('position_ids'))).toBe(false);
    const ops = (graph?.node ?? []).map((n) => n.opType);
    for (const op of ['Equal', 'Not', 'CumSum', 'Erf', 'Tanh']) expect(ops, op).toContain(op);
    const weightMatMuls = (graph?.node ?? []).filter((n) => n.opType === 'MatMul' && inits.has(n.input?.[1] ?? ''));
    expect(weightMatMuls.map((n) => n.input?.[1]).sort()).toEqual(matMulWeightNames(2, true, 'xlm-roberta').sort());
  });

  it('is byte-identical for the same seed', async () => {
    const again = await forgeModel({ out: path.join(root.dir, 'again'), preset: 'xlmr-tiny' });
    expect((await readFile(again.onnxFile)).equals(await readFile(path.join(dir, 'onnx/model.onnx')))).toBe(true);
  });

  it('truncates pairs longest_first with the 4-token template: <s> A </s></s> B </s>', () => {
    const [query, document] = PAIRS[8] as [string, string];
    const q = spec.tokenizer.encode(query);
    const d = spec.tokenizer.encode(document);
    expect(Math.min(q.length, d.length)).toBeGreaterThanOrEqual(48);
    const ids = Array.from(spec.encoder.encodePair(spec.encoder.encodeQuery(query, TRUNCATION), document, TRUNCATION).ids);
    // Both sides overflow: the first text keeps floor(44 / 2), the second the rest.
    expect(ids).toEqual([0, ...q.slice(0, 22), 2, 2, ...d.slice(0, 22), 2]);
  });

  it('scores through the service\'s engine equal to a float64 TypeScript forward pass within 1e-4', async () => {
    const [reranker] = engineModels({ reranker: spec, embedder: undefined }, buildConfig({ model: dir }));
    const engine = await LocalEngine.create(reranker === undefined ? [] : [reranker], 1);
    try {
      let worst = 0;
      for (const [query, document] of PAIRS) {
        const out = await engine.run('reranker', { kind: 'pairs', query, documents: packTexts([document]), truncation: TRUNCATION });
        const ids = Array.from(spec.encoder.encodePair(spec.encoder.encodeQuery(query, TRUNCATION), document, TRUNCATION).ids);
        const [expected] = ref.logits({ inputIds: [ids], attentionMask: [ids.map(() => 1)] });
        worst = Math.max(worst, Math.abs((out.output[0] as number) - (expected?.[0] as number)));
      }
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await engine.close();
    }
  });

  it('gives the same scores in one batch padded with id 1 as each pair alone', async () => {
    const session = await ModelSession.create({ onnxPath: spec.folder.onnxPath, padId: spec.tokenizer.padId, head: spec.head, label: 'reranker' });
    try {
      expect(spec.tokenizer.padId).toBe(1);
      const sequences = PAIRS.map(([q, d]) => spec.encoder.encodePair(spec.encoder.encodeQuery(q, TRUNCATION), d, TRUNCATION));
      expect(new Set(sequences.map((s) => s.ids.length)).size).toBeGreaterThan(3);
      const { data } = await session.run(sequences);
      const logits = sequences.map((s) => Array.from(s.ids)).map((ids) => ref.logits({ inputIds: [ids], attentionMask: [ids.map(() => 1)] })[0]?.[0] as number);
      logits.forEach((expected, i) => expect(Math.abs((data[i] as number) - expected), PAIRS[i]?.[0]).toBeLessThan(1e-4));
      // Untrained, but not flat: the pairs get visibly different scores.
      expect(Math.max(...logits) - Math.min(...logits)).toBeGreaterThan(0.5);
    } finally {
      await session.release();
    }
  });
});

describe('forge --preset xlmr-base-shape', () => {
  it('has bge-reranker-v2-m3\'s architecture at the small vocabulary', () => {
    expect(PRESETS['xlmr-base-shape']).toMatchObject({
      kind: 'cross-encoder',
      family: 'xlm-roberta',
      numHiddenLayers: 24,
      hiddenSize: 1024,
      numAttentionHeads: 16,
      intermediateSize: 4096,
      maxPositionEmbeddings: 8194,
      typeVocabSize: 1,
      layerNormEps: 1e-5,
      vocabSize: 888,
    });
  });
});
