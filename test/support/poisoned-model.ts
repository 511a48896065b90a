import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, decodeModel, encodeModel, readFloatTensor, tensorDims } from '../../src/graph/onnx-proto.js';

/**
 * A copy of a forged BERT folder whose graph outputs NaN for any sequence holding `word`: that
 * token's row of the word-embedding table is NaN, so the model itself produces the non-finite value
 * (no hook in the service), and sequences without the word score as before.
 */
export function poisonedModel(dir: string, word: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'poisoned-'));
  cpSync(dir, copy, { recursive: true });
  const vocab = (JSON.parse(readFileSync(join(copy, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  const id = vocab[word];
  if (id === undefined) throw new Error(`${word} is not one token of the forged vocabulary`);
  const file = join(copy, 'onnx/model.onnx');
  const model = decodeModel(readFileSync(file));
  const table = model.graph?.initializer?.find((t) => t.name === 'bert.embeddings.word_embeddings.weight');
  if (table === undefined) throw new Error('no word-embedding table in the forged graph');
  const hidden = tensorDims(table)[1] as number;
  const values = readFloatTensor(table);
  values.fill(NaN, id * hidden, (id + 1) * hidden);
  table.rawData = new Uint8Array(values.buffer.slice(0));
  table.floatData = [];
  table.dataType = DataType.FLOAT;
  writeFileSync(file, encodeModel(model));
  return copy;
}
