import { mulberry32 } from '../forge/prng.js';

/**
 * Seeded rerank workloads for accuracy checks and benchmarks: no dataset to download, the same
 * texts for every contender, and lengths shaped like MS MARCO (3-12 word queries, passages
 * log-normal around a median of ~55 words).
 */
export interface WorkloadOptions {
  queries: number;
  docsPerQuery: number;
  seed?: number;
  queryWords?: [min: number, max: number];
  /** Median passage length in words; the log-normal spread puts ~95% within a 2.7x band. */
  medianDocWords?: number;
  docWordsSigma?: number;
  maxDocWords?: number;
}

export interface WorkloadQuery {
  query: string;
  documents: string[];
}

/** Word-initial markers of WordPiece-less vocabularies: SentencePiece's "▁" and byte-level BPE's "Ġ". */
const WORD_START = /^[\u2581\u0120]/;

/**
 * Whole lowercase words of a tokenizer vocabulary, in vocabulary order. BERT's vocab is roughly
 * frequency-ordered after its special and single-character entries, so early words are common.
 */
export function wordsFromVocab(tokens: Iterable<string>): string[] {
  const words: string[] = [];
  const seen = new Set<string>();
  for (const token of tokens) {
    const word = token.replace(WORD_START, '');
    if (/^[a-z]{2,}$/.test(word) && !seen.has(word)) {
      seen.add(word);
      words.push(word);
    }
  }
  if (words.length < 100) throw new Error(`the vocabulary has only ${words.length} whole words; a workload needs at least 100`);
  return words;
}

/** Words of a tokenizer.json's model vocab (WordPiece and BPE keep it as an object, Unigram as pairs). */
export function wordsFromTokenizerJson(tokenizerJson: Record<string, unknown>): string[] {
  const vocab = (tokenizerJson['model'] as { vocab?: unknown } | undefined)?.vocab;
  if (Array.isArray(vocab)) return wordsFromVocab(vocab.map((entry) => String(Array.isArray(entry) ? entry[0] : entry)));
  if (vocab !== null && typeof vocab === 'object') {
    const entries = Object.entries(vocab as Record<string, number>).sort((a, b) => a[1] - b[1]);
    return wordsFromVocab(entries.map(([token]) => token));
  }
  throw new Error('tokenizer.json has no model vocab');
}

/**
 * Zipf-like draw over vocabulary order, so texts repeat common words the way prose does: rank r
 * (from 0) with weight 1 / (r + offset); offset 1 is Zipf's law with s = 1.
 */
export function zipfSampler(n: number, uniform: () => number, offset = 10): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) cumulative[r] = total += 1 / (r + offset);
  return () => {
    const target = uniform() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function generateWorkload(words: readonly string[], opts: WorkloadOptions): WorkloadQuery[] {
  const uniform = mulberry32(opts.seed ?? 1);
  const pick = zipfSampler(words.length, uniform);
  const [qMin, qMax] = opts.queryWords ?? [3, 12];
  const median = opts.medianDocWords ?? 55;
  const sigma = opts.docWordsSigma ?? 0.5;
  const maxDoc = opts.maxDocWords ?? 400;
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const text = (n: number): string => Array.from({ length: n }, () => words[pick()] as string).join(' ');
  return Array.from({ length: opts.queries }, () => {
    const query = text(qMin + Math.floor(uniform() * (qMax - qMin + 1)));
    const documents = Array.from({ length: opts.docsPerQuery }, () => {
      const n = Math.round(median * Math.exp(sigma * normal()));
      return text(Math.max(5, Math.min(maxDoc, n)));
    });
    return { query, documents };
  });
}
