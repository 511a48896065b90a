import { InvalidArgumentError } from '../errors.js';
import type { Metrics, StageTimings } from '../metrics.js';
import type { Collection, DocumentStore, Filter, ParsedFilter, SearchHit } from '../store/index.js';
import type { TruncationOptions } from '../text/pair-encoder.js';
import { timed, type CachePolicy } from './cache-policy.js';
import { shapeVector, type EmbedPipeline } from './embed-pipeline.js';
import { reciprocalRankFusion, type Leg } from './fusion.js';
import { runStages, type RerankStage, type StageOutcome } from './rerank-stages.js';
import { checkSameEmbedder } from './same-embedder.js';

export type SearchMode = 'hybrid' | 'vector' | 'lexical';

export interface SearchJob {
  collection: string;
  query: string;
  topN: number;
  /** Results skipped before the top_n, within the candidate window (a second page of one search). */
  offset?: number | undefined;
  candidates: number;
  mode: SearchMode;
  /** Raw (parsed here, once) or already parsed by the caller (parseFilter), which saves that parse. */
  filter: Filter | ParsedFilter | undefined;
  /** The vector leg's HNSW candidate list; undefined: the store's default. */
  efSearch?: number | undefined;
  rrfK: number;
  weights: { vector: number; lexical: number };
  /** A ready query embedding; skips the embed stage. */
  vector: Float32Array | undefined;
  /** The rerank stages in order (pipelines/rerank-stages.ts); empty returns the first stage alone. */
  stages: readonly RerankStage[];
  truncation: TruncationOptions;
  signal?: AbortSignal | undefined;
  cache?: CachePolicy | undefined;
}

export interface SearchResult {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  /** Raw score of the last rerank stage that ran (see runtime/activation.ts); undefined when none did. */
  rerank: number | undefined;
  /** Raw score and rank (1-based) per rerank stage, in stage order; undefined where the stage did not run. */
  stages: ({ score: number; rank: number } | undefined)[];
  vector?: { score: number; rank: number };
  lexical?: { score: number; rank: number };
  fused: { score: number; rank: number };
}

export interface SearchOutcome {
  collection: Collection;
  results: SearchResult[];
  embeddingTokens: number;
  rerankTokens: number;
  cachedPairs: number;
  /** Documents that went on from the first stage. */
  candidates: number;
  /** Rows the lexical leg scored (BM25 prunes: often far fewer than match); 0 without a lexical leg. */
  lexicalScored: number;
  timings: StageTimings;
  /** What each rerank stage did, in order. */
  stages: StageOutcome[];
}

/** What a search runs on: the store always; the models when the mode and options need them. */
export interface SearchDeps {
  store: DocumentStore;
  /** The embedder; throws 503 EMBEDDER_UNAVAILABLE when none is loaded (lexical searches never ask). */
  embedder: () => { name: string; pipeline: EmbedPipeline; normalize: boolean };
  metrics?: Metrics | undefined;
}

/** The passages a document is reranked on: its best chunk from each leg (one when they agree or it is unchunked). */
function passages(hits: readonly (SearchHit | undefined)[]): string[] {
  const texts = new Set<string>();
  for (const hit of hits) if (hit !== undefined) texts.add(hit.chunk?.text ?? hit.text);
  return [...texts];
}

/**
 * Two-stage retrieval in one call: the lexical leg starts at once, the query is embedded meanwhile
 * and the vector leg follows; the legs' lists are fused by reciprocal rank, and the fused
 * candidates go through the rerank stages, each the same pipeline as /rerank (same cache, batching
 * and truncation) of its model. A chunked document is one candidate, scored by its best passage.
 */
export class SearchPipeline {
  constructor(private readonly deps: SearchDeps) {}

  async run(job: SearchJob): Promise<SearchOutcome> {
    const { store, metrics } = this.deps;
    const timings: StageTimings = {};
    // The collection's definition is read once here; the legs get it, with the filter compiled once, in the scope.
    const collection = await store.getCollection(job.collection, { signal: job.signal });
    const useVector = job.mode !== 'lexical';
    const useLexical = job.mode !== 'vector';
    if (job.vector !== undefined && job.vector.length !== collection.dimensions) {
      throw new InvalidArgumentError(`vector has ${job.vector.length} dimensions; the collection has ${collection.dimensions}.`, 'DIMENSION_MISMATCH');
    }
    const embedder = useVector && job.vector === undefined ? this.deps.embedder() : undefined;
    if (embedder !== undefined) checkSameEmbedder(collection, embedder.name);
    const scope = store.searchScope(collection, job.filter);
    let lexicalScored = 0;
    const options = {
      signal: job.signal,
      efSearch: job.efSearch,
      scored: (rows: number, ranking: 'memory' | 'sql') => {
        lexicalScored = rows;
        metrics?.lexicalSearches.inc({ ranking });
      },
    };

    let embeddingTokens = 0;
    const lexical = useLexical ? timed('retrieve_lexical', 'none', metrics, timings, () => scope.lexicalSearch(job.query, job.candidates, options)) : Promise.resolve([]);
    // Settled even when the vector side fails first, so no rejection goes unheard.
    lexical.catch(() => undefined);
    const vector = useVector
      ? (async () => {
          let queryVector = job.vector;
          if (queryVector === undefined) {
            const model = embedder as NonNullable<typeof embedder>;
            const out = await timed('embed', 'embedder', metrics, timings, () =>
              model.pipeline.run({ texts: [job.query], truncation: { direction: job.truncation.direction, truncate: true }, signal: job.signal, cache: job.cache }),
            );
            embeddingTokens = out.tokens;
            queryVector = shapeVector(out.vectors[0] as Float32Array, { normalize: model.normalize });
            if (queryVector.length !== collection.dimensions) {
              throw new InvalidArgumentError(`the embedding model gives ${queryVector.length} dimensions; collection ${collection.name} has ${collection.dimensions}.`, 'DIMENSION_MISMATCH');
            }
          }
          const q = queryVector;
          return timed('retrieve_vector', 'none', metrics, timings, () => scope.vectorSearch(q, job.candidates, options));
        })()
      : Promise.resolve([]);
    const [vectorHits, lexicalHits] = await Promise.all([vector, lexical]);

    const byId = new Map<string, { vector?: SearchHit; lexical?: SearchHit }>();
    for (const hit of vectorHits) byId.set(hit.id, { vector: hit });
    for (const hit of lexicalHits) byId.set(hit.id, { ...byId.get(hit.id), lexical: hit });
    const legs: Leg[] = [];
    if (useVector) legs.push({ name: 'vector', weight: job.weights.vector, ids: vectorHits.map((h) => h.id) });
    if (useLexical) legs.push({ name: 'lexical', weight: job.weights.lexical, ids: lexicalHits.map((h) => h.id) });
    const fused = await timed('fuse', 'none', metrics, timings, async () => reciprocalRankFusion(legs, job.rrfK, job.candidates));

    const results: SearchResult[] = fused.map((f) => {
      const hits = byId.get(f.id) ?? {};
      const any = (hits.vector ?? hits.lexical) as SearchHit;
      return {
        id: f.id,
        text: any.text,
        metadata: any.metadata,
        rerank: undefined,
        stages: [],
        ...(hits.vector === undefined ? {} : { vector: { score: hits.vector.score, rank: hits.vector.rank } }),
        ...(hits.lexical === undefined ? {} : { lexical: { score: hits.lexical.score, rank: hits.lexical.rank } }),
        fused: { score: f.score, rank: f.rank },
      };
    });

    const perDoc = new Map(results.map((r) => [r.id, passages([byId.get(r.id)?.vector, byId.get(r.id)?.lexical])]));
    const cascade = await runStages(job, results, (r) => perDoc.get(r.id) ?? [], { metrics, timings });
    const offset = job.offset ?? 0;
    return { collection, results: cascade.kept.slice(offset, offset + job.topN), embeddingTokens, rerankTokens: cascade.tokens, cachedPairs: cascade.cachedPairs, candidates: fused.length, lexicalScored, timings, stages: cascade.stages };
  }
}
