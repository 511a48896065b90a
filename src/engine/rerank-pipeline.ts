import type { EncodedPair, PairEncoder, TruncationOptions } from '../model/pair-encoder.js';
import type { Scorer } from './scorer.js';

export interface RerankJob {
  query: string;
  documents: readonly string[];
  truncation: TruncationOptions;
  signal?: AbortSignal | undefined;
}

export interface RerankScores {
  /** Raw score per document, in request order (see model/activation.ts). */
  raw: Float32Array;
  /** Tokens the model read, special tokens included. */
  tokens: number;
}

/** Query once, each document against it, then the scorer; later stages (cache) slot in here. */
export class RerankPipeline {
  constructor(
    private readonly encoder: PairEncoder,
    private readonly scorer: Scorer,
  ) {}

  async run(job: RerankJob): Promise<RerankScores> {
    const queryIds = this.encoder.encodeQuery(job.query);
    const pairs: EncodedPair[] = job.documents.map((d) => this.encoder.encodePair(queryIds, d, job.truncation));
    let tokens = 0;
    for (const p of pairs) tokens += p.ids.length;
    const { scores } = await this.scorer.score(pairs, job.signal);
    return { raw: scores, tokens };
  }
}
