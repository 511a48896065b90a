import { loadCrossEncoder, type CrossEncoderSpec } from '../src/models/kinds/cross-encoder.js';
import { generateWorkload, wordsFromTokenizerJson } from '../src/tools/quantize/synthetic-workload.js';

export interface BenchQuery {
  query: string;
  documents: string[];
  /** Tokens of each (query, document) pair as the model reads it. */
  pairLengths: number[];
}

export interface BenchWorkload {
  spec: CrossEncoderSpec;
  queries: BenchQuery[];
  pairs: number;
  realTokens: number;
}

export const DOCS_PER_QUERY = 100;

/** One workload for every contender: same texts, same token counts. */
export function prepareWorkload(modelDir: string, queries: number, seed: number): BenchWorkload {
  const spec = loadCrossEncoder(modelDir, {});
  const items = generateWorkload(wordsFromTokenizerJson(spec.folder.tokenizerJson), { queries, docsPerQuery: DOCS_PER_QUERY, seed });
  const truncation = { direction: 'right' as const, truncate: true };
  let realTokens = 0;
  const prepared = items.map((item) => {
    const queryIds = spec.encoder.encodeQuery(item.query);
    const pairLengths = item.documents.map((d) => spec.encoder.encodePair(queryIds, d, truncation).ids.length);
    for (const n of pairLengths) realTokens += n;
    return { ...item, pairLengths };
  });
  return { spec, queries: prepared, pairs: queries * DOCS_PER_QUERY, realTokens };
}
