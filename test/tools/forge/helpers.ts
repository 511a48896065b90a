import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import type { ReferenceBatch } from '../../support/bert-reference.js';

/** Creates a temp folder and returns it with a cleanup callback. */
export async function tempDir(prefix = 'forge-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const read = async (file: string): Promise<object> => JSON.parse(await readFile(path.join(dir, file), 'utf8')) as object;
  return new Tokenizer(await read('tokenizer.json'), await read('tokenizer_config.json'));
}

/** Encodes (query, document) pairs and right-pads them with [PAD]=0 and mask 0. */
export function encodePairs(tokenizer: Tokenizer, pairs: Array<[string, string]>): Required<ReferenceBatch> {
  const encoded = pairs.map(([q, d]) => tokenizer.encode(q, { text_pair: d, return_token_type_ids: true }));
  const width = Math.max(...encoded.map((e) => e.ids.length));
  const pad = (row: number[]): number[] => [...row, ...new Array<number>(width - row.length).fill(0)];
  return {
    inputIds: encoded.map((e) => pad(e.ids)),
    attentionMask: encoded.map((e) => pad(e.attention_mask)),
    tokenTypeIds: encoded.map((e) => pad(e.token_type_ids)),
  };
}

function int64(rows: number[][]): ort.Tensor {
  const width = rows[0]?.length ?? 0;
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, width]);
}

/** Runs a forged model in onnxruntime-node; feeds token_type_ids only if the graph declares it. */
export async function runOnnx(onnxFile: string, batch: ReferenceBatch): Promise<number[][]> {
  const session = await ort.InferenceSession.create(onnxFile);
  try {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(batch.inputIds),
      attention_mask: int64(batch.attentionMask),
    };
    if (session.inputNames.includes('token_type_ids')) {
      feeds.token_type_ids = int64(batch.tokenTypeIds ?? batch.inputIds.map((r) => r.map(() => 0)));
    }
    const logits = (await session.run(feeds)).logits;
    if (!logits) throw new Error('model produced no logits');
    const [rows, cols] = logits.dims as [number, number];
    const data = logits.data as Float32Array;
    return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols)));
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - (b[i]?.[j] ?? NaN))))));
  return Number.isNaN(max) ? Infinity : max;
}

/** Twenty realistic (query, passage) pairs of varied length and topic. */
export const TEXT_PAIRS: Array<[string, string]> = [
  ['how long do cats live', 'Indoor cats typically live between 12 and 18 years, and some reach their twenties.'],
  ['how long do cats live', 'The Eiffel Tower was completed in 1889 for the World Fair in Paris.'],
  ['capital of australia', 'Canberra is the capital city of Australia, chosen as a compromise between Sydney and Melbourne.'],
  ['capital of australia', 'Sydney is the largest city in Australia.'],
  ['what causes rain', 'Rain forms when water vapour condenses into droplets heavy enough to fall.'],
  ['what causes rain', 'Bananas are rich in potassium.'],
  ['python list comprehension', 'A list comprehension builds a list from an iterable in a single expression: [x * 2 for x in xs].'],
  ['python list comprehension', 'Pythons are large non-venomous snakes found in Africa, Asia and Australia.'],
  ['symptoms of flu', 'Fever, cough, sore throat, muscle aches and fatigue are common influenza symptoms.'],
  ['symptoms of flu', 'The stock market closed higher on Friday after strong earnings reports.'],
  ['who wrote hamlet', 'Hamlet is a tragedy written by William Shakespeare around 1600.'],
  ['who wrote hamlet', 'A hamlet is a small settlement, usually smaller than a village.'],
  ['best time to visit japan', 'Spring (March to May) and autumn (September to November) are popular seasons to visit Japan.'],
  ['best time to visit japan', 'Tokyo hosted the Summer Olympics in 2021.'],
  ['boiling point of water', 'At sea level, water boils at 100 degrees Celsius.'],
  ['boiling point of water', 'Mount Everest is the highest mountain above sea level.'],
  ['how to reset a router', 'Hold the reset button for thirty seconds, then wait for the lights to stabilise.'],
  ['how to reset a router', 'Routers forward packets between computer networks.'],
  ['speed of light', 'Light travels at about 299,792 kilometres per second in a vacuum.'],
  ['speed of light', 'Sound travels much more slowly, roughly 343 metres per second in air.'],
];

export function std(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}
