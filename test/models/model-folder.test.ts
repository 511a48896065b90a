import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/errors.js';
import { loadCrossEncoder } from '../../src/models/kinds/cross-encoder.js';
import { loadModelFolder } from '../../src/models/model-folder.js';
import { forgedModel } from '../support/forged-model.js';

let source: string;
let work: string;
beforeAll(async () => {
  source = await forgedModel();
  work = mkdtempSync(join(tmpdir(), 'reranker-folder-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A private copy of the forged folder to break in one way. */
function copy(name: string): string {
  const dir = join(work, name);
  cpSync(source, dir, { recursive: true });
  return dir;
}

function loadError(dir: string, onnxFile?: string): ModelLoadError {
  try {
    loadModelFolder(dir, onnxFile);
  } catch (err) {
    expect(err).toBeInstanceOf(ModelLoadError);
    return err as ModelLoadError;
  }
  throw new Error('expected the folder to fail loading');
}

describe('loading a model folder', () => {
  it('loads the forged folder with its limits and labels', () => {
    const f = loadModelFolder(source);
    expect(f.onnxPath).toBe(join(source, 'onnx/model.onnx'));
    expect(f.modelMaxLength).toBe(512);
    expect(f.numLabels).toBe(1);
    expect(f.tokenizerFromVocab).toBe(false);
  });

  it('names the folder when it does not exist', () => {
    const e = loadError(join(work, 'absent'));
    expect(e.message).toContain(join(work, 'absent'));
    expect(e.message).toMatch(/does not exist.*--model/);
  });

  it('names a missing config.json', () => {
    const dir = copy('no-config');
    rmSync(join(dir, 'config.json'));
    expect(loadError(dir).message).toMatch(/config\.json is missing/);
  });

  it('names a config.json that is not JSON', () => {
    const dir = copy('bad-config');
    writeFileSync(join(dir, 'config.json'), '{ not json');
    const e = loadError(dir);
    expect(e.path).toBe(join(dir, 'config.json'));
    expect(e.message).toMatch(/not valid JSON/);
  });

  it('asks for tokenizer files when both tokenizer.json and vocab.txt are gone', () => {
    const dir = copy('no-tokenizer');
    rmSync(join(dir, 'tokenizer.json'));
    rmSync(join(dir, 'vocab.txt'));
    expect(loadError(dir).message).toMatch(/neither tokenizer\.json nor vocab\.txt/);
  });

  it('falls back from onnx/model.onnx to model.onnx and reports when neither exists', () => {
    const dir = copy('root-onnx');
    renameSync(join(dir, 'onnx/model.onnx'), join(dir, 'model.onnx'));
    expect(loadModelFolder(dir).onnxPath).toBe(join(dir, 'model.onnx'));
    rmSync(join(dir, 'model.onnx'));
    expect(loadError(dir).message).toMatch(/no ONNX weights.*--onnx-file/);
    expect(loadError(source, 'onnx/model_quantized.onnx').message).toMatch(/onnx\/model_quantized\.onnx does not exist/);
  });

  it('caps max length by model_max_length, the position table (less the RoBERTa offset) and --max-length', () => {
    const dir = copy('limits');
    const cfgPath = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    const tokPath = join(dir, 'tokenizer_config.json');
    const tok = JSON.parse(readFileSync(tokPath, 'utf8'));
    writeFileSync(tokPath, JSON.stringify({ ...tok, model_max_length: 1e30 }));
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, model_type: 'xlm-roberta', max_position_embeddings: 514 }));
    expect(loadModelFolder(dir).modelMaxLength).toBe(512);
    writeFileSync(tokPath, JSON.stringify({ ...tok, model_max_length: 256 }));
    expect(loadModelFolder(dir).modelMaxLength).toBe(256);
    expect(loadCrossEncoder(dir, { maxLength: 128 }).maxLength).toBe(128);
  });

  it('picks the relevant label of a two-label model from id2label, else index 1', () => {
    const dir = copy('labels');
    const cfgPath = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, id2label: { '0': 'relevant', '1': 'irrelevant' } }));
    expect(loadModelFolder(dir)).toMatchObject({ numLabels: 2, relevantLabel: 0 });
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, id2label: { '0': 'A', '1': 'B' } }));
    expect(loadModelFolder(dir)).toMatchObject({ numLabels: 2, relevantLabel: 1 });
  });

  it('builds the WordPiece tokenizer from vocab.txt when tokenizer.json is missing, with the same ids', () => {
    const dir = copy('vocab-only');
    rmSync(join(dir, 'tokenizer.json'));
    const fromVocab = loadCrossEncoder(dir, {});
    const fromJson = loadCrossEncoder(source, {});
    expect(fromVocab.folder.tokenizerFromVocab).toBe(true);
    const text = "Héllo, WORLD! Unaffable 中文 tokenizers' edge-cases: 3.14";
    expect(fromVocab.tokenizer.encode(text)).toEqual(fromJson.tokenizer.encode(text));
    const q = fromJson.encoder.encodeQuery('query');
    const opts = { direction: 'right', truncate: true } as const;
    expect(fromVocab.encoder.encodePair(q, text, opts)).toEqual(fromJson.encoder.encodePair(q, text, opts));
  });
});
