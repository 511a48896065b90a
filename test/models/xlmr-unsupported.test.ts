import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/errors.js';
import { loadCrossEncoder } from '../../src/models/kinds/cross-encoder.js';
import { ModelSession } from '../../src/runtime/onnx-session.js';
import { forgeModel } from '../../src/tools/forge/index.js';
import { decodeModel, encodeModel } from '../../src/graph/onnx-proto.js';
import { copyOf } from '../support/folders.js';
import { forgedModel } from '../support/forged-model.js';

/**
 * Folders of another family than BERT or XLM-R, or XLM-R folders the service cannot read exactly,
 * are refused at load with a ModelLoadError that names what is missing; they never load and score
 * on wrong ids. Each case edits one file of a forged xlmr-tiny folder.
 */
let dir: string;
beforeAll(async () => {
  dir = copyOf(await forgedModel({ preset: 'xlmr-tiny' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadError(load: () => unknown): ModelLoadError {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelLoadError);
    return err as ModelLoadError;
  }
  throw new Error('the folder loaded');
}

function withTokenizerJson(edit: (json: Record<string, unknown>) => void): string {
  const copy = copyOf(dir);
  const file = join(copy, 'tokenizer.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, JSON.stringify(json));
  return copy;
}

describe('what the service cannot serve is refused by name (issue 13)', () => {
  it('a post_processor type it does not lay out', () => {
    const copy = withTokenizerJson((json) => (json['post_processor'] = { type: 'PairwiseProcessing', sep: ['</s>', 2] }));
    try {
      const err = loadError(() => loadCrossEncoder(copy, {}));
      expect(err.path).toBe(join(copy, 'tokenizer.json'));
      expect(err.message).toMatch(/the tokenizer cannot be served: tokenizer.json's post_processor type PairwiseProcessing is not supported/);
      expect(err.fix).toMatch(/BERT-style WordPiece .* XLM-RoBERTa-style SentencePiece Unigram/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a normaliser or pre-tokenizer type the library does not implement', () => {
    const copy = withTokenizerJson((json) => (json['pre_tokenizer'] = { type: 'UnicodeScripts' }));
    try {
      expect(loadError(() => loadCrossEncoder(copy, {})).message).toMatch(/tokenizer.json's pre_tokenizer type UnicodeScripts is not supported/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a tokenizer model the library would replace with a whitespace guess (WordLevel)', () => {
    const copy = withTokenizerJson((json) => (json['model'] = { type: 'WordLevel', vocab: { '<unk>': 0, hello: 1 }, unk_token: '<unk>' }));
    try {
      expect(loadError(() => loadCrossEncoder(copy, {})).message).toMatch(/model type WordLevel is not supported/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a damaged SentencePiece charsmap', () => {
    const copy = withTokenizerJson((json) => {
      const steps = (json['normalizer'] as { normalizers: Record<string, unknown>[] }).normalizers;
      (steps[0] as Record<string, unknown>)['precompiled_charsmap'] = Buffer.from([0xff, 0xff, 0, 0, 1, 2]).toString('base64');
    });
    try {
      expect(loadError(() => loadCrossEncoder(copy, {})).message).toMatch(/the tokenizer cannot be built \(precompiled_charsmap declares a 65535-byte trie in a 6-byte blob\)/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a SentencePiece folder without tokenizer.json (only sentencepiece.bpe.model)', async () => {
    const copy = copyOf(dir);
    try {
      await forgeModel({ out: copy, preset: 'xlmr-tiny', writeTokenizerJson: false });
      rmSync(join(copy, 'tokenizer.json'));
      expect(loadError(() => loadCrossEncoder(copy, {})).problem).toBe('neither tokenizer.json nor vocab.txt is present');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a graph that needs an input the service does not feed (encoder_hidden_states)', async () => {
    const model = decodeModel(readFileSync(join(dir, 'onnx/model.onnx')));
    const inputs = model.graph?.input ?? [];
    inputs.push({ ...inputs[0], name: 'encoder_hidden_states' });
    writeFileSync(join(dir, 'onnx/with-positions.onnx'), encodeModel(model));
    const spec = loadCrossEncoder(dir, { onnxFile: 'onnx/with-positions.onnx' });
    const create = ModelSession.create({ onnxPath: spec.folder.onnxPath, padId: spec.tokenizer.padId, head: spec.head, label: 'reranker' });
    await expect(create).rejects.toBeInstanceOf(ModelLoadError);
    await expect(create).rejects.toThrow(/the graph needs inputs this service does not feed: encoder_hidden_states/);
  });
});
