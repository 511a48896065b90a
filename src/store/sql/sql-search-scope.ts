import type pg from 'pg';
import type { CallOptions, Collection, LegOptions, ObserveStage, SearchHit, SearchScope } from '../document-store.js';
import type { Filter, ParsedFilter } from '../filter-ast.js';
import { toParsedFilter } from '../filter-parse.js';
import { checkEfSearch, checkQuery, type SearchQuery } from '../search-request.js';
import { compileFilter, MATCH_ALL } from './filter-sql.js';
import type { Registered } from './registry.js';
import { relationOf } from './relation.js';
import { searchDocuments, type SearchTarget } from './sql-search.js';
import type { StoreFacts } from './store-setup.js';
import { ownTable } from './table-names.js';

/** The store's way to run work in one transaction of a prepared database. */
export type RunInStore = <T>(work: (client: pg.PoolClient, facts: StoreFacts) => Promise<T>, options: CallOptions) => Promise<T>;

/** The one place a search's filter is compiled: once per target, whatever the legs and retries. */
export function searchTarget(reg: Registered, filter: ParsedFilter | undefined): SearchTarget {
  const rel = relationOf(reg);
  return { collection: reg.collection, rel, filter: filter === undefined ? MATCH_ALL : compileFilter(filter, rel.metadata), filtered: filter !== undefined };
}

/** Runs one leg, reporting its time as stage `vector_search` or `lexical_search`. */
export async function observedLeg(observe: ObserveStage | undefined, kind: SearchQuery['kind'], leg: () => Promise<SearchHit[]>): Promise<SearchHit[]> {
  const started = performance.now();
  const hits = await leg();
  observe?.(`${kind}_search`, (performance.now() - started) / 1000);
  return hits;
}

/**
 * The legs of one search over a collection read once: the filter is compiled here, when the scope
 * is made, and the collection's rows are known from its definition (its own table follows from its
 * name), so a leg takes a connection and runs its statement with no registry read.
 */
export class SqlSearchScope implements SearchScope {
  private readonly target: SearchTarget;

  constructor(
    readonly collection: Collection,
    filter: Filter | ParsedFilter | undefined,
    private readonly run: RunInStore,
    private readonly observe: ObserveStage | undefined,
  ) {
    const parsed = filter === undefined ? undefined : toParsedFilter(filter);
    this.target = searchTarget({ collection, table: ownTable(collection) }, parsed);
  }

  vectorSearch(vector: Float32Array, k: number, options: LegOptions = {}): Promise<SearchHit[]> {
    return this.search({ kind: 'vector', vector }, k, options);
  }

  lexicalSearch(query: string, k: number, options: LegOptions = {}): Promise<SearchHit[]> {
    return this.search({ kind: 'lexical', query }, k, options);
  }

  private async search(query: SearchQuery, k: number, options: LegOptions): Promise<SearchHit[]> {
    checkQuery(query, k);
    checkEfSearch(options);
    return observedLeg(this.observe, query.kind, () => this.run((c, facts) => searchDocuments(c, facts, this.target, query, k, options), options));
  }
}
