import pg from 'pg';
import { ConflictError, InvalidArgumentError, RerankerError } from '../../errors.js';
import { resolveDefinition } from '../collection-definition.js';
import { checkDocumentId, checkMetadataObject } from '../document-input.js';
import type { CallOptions, Collection, CollectionDefinition, DocumentInput, DocumentStore, ObserveStage, ScrollPage, SearchHit, SearchOptions, SearchScope, StoreConnections, StoreLog, StoredDocument, UpsertOptions, UpsertResult } from '../document-store.js';
import type { Filter, ParsedFilter } from '../filter-ast.js';
import { toParsedFilter } from '../filter-parse.js';
import { checkEfSearch, checkQuery, type SearchQuery } from '../search-request.js';
import { analyzeTable, buildHnswIndex, hasHnswIndex } from './collection-table.js';
import { createOrMatch } from './create-collection.js';
import { Bm25Replicas } from './bm25-replica.js';
import { dropBm25Stats } from './bm25-stats.js';
import { countDocuments, deleteRows, readDocument, writeBatch } from './document-rows.js';
import { countMatching, deleteMatching, readDocuments, scrollDocuments, updateMetadata } from './document-ops.js';
import { compileFilter, MATCH_ALL, type CompiledFilter } from './filter-sql.js';
import type { Relation } from './relation.js';
import { batches, prepareDocuments } from './prepared-rows.js';
import { deleteCollection, listRegistered, requireCollection, type Registered } from './registry.js';
import { relationOf } from './relation.js';
import { searchDocuments } from './sql-search.js';
import { observedLeg, searchTarget, SqlSearchScope } from './sql-search-scope.js';
import type { SqlRunner } from './sql-runner.js';
import { pgErrorCode } from './store-errors.js';
import { prepareDatabase, type StoreFacts } from './store-setup.js';

export interface SqlDocumentStoreOptions {
  kind: DocumentStore['kind'];
  pool: pg.Pool;
  runner: SqlRunner;
  /**
   * Rows (chunks) per committed batch of an upsert. Every batch is one transaction, and while it
   * runs PGlite serves no other connection, so batches stay short: 256 rows of 384 dimensions are
   * ~0.2 s into a table without its HNSW index (~1,500 rows/s in PGlite, STORES.md).
   */
  batchRows?: number | undefined;
  observe?: ObserveStage | undefined;
  log?: StoreLog | undefined;
  /** The schema of our tables (--store-schema); the pool's connections already have it first on their search_path. */
  schema: string;
  /** Where the lexical leg ranks a collection of ours: this process's postings (default) or SQL alone. */
  lexicalIndex?: 'memory' | 'sql' | undefined;
  /** maintenance_work_mem for building an HNSW index (--store-index-memory); undefined: the server's. */
  indexMemory?: string | undefined;
  /** Runs after the pool has ended: the embedded store stops its worker here. */
  onClose?: (() => Promise<void>) | undefined;
}

const { escapeIdentifier: id } = pg;

/** An upsert call writing this many rows refreshes the planner's statistics (building the index always does). */
const ANALYZE_AFTER_ROWS = 1000;

const parsedOrNone = (filter: Filter | ParsedFilter | undefined): ParsedFilter | undefined => (filter === undefined ? undefined : toParsedFilter(filter));
const compiledOver = (rel: Relation, filter: ParsedFilter | undefined): CompiledFilter => (filter === undefined ? MATCH_ALL : compileFilter(filter, rel.metadata));

function readOnly(name: string): never {
  throw new ConflictError(`Collection "${name}" is an attached table, which the service never writes; change it where it lives.`, 'READ_ONLY_COLLECTION');
}

/**
 * The store over a pg.Pool; both backends are this class (only the pool's other end differs).
 * The database is prepared (pgvector, registry) on first use and again after a failure, so a store
 * that was unreachable at start-up starts working when it comes back.
 */
export class SqlDocumentStore implements DocumentStore {
  readonly kind: DocumentStore['kind'];
  private readonly runner: SqlRunner;
  private readonly batchRows: number;
  private preparing: Promise<StoreFacts> | undefined;
  private readonly lexical: Bm25Replicas | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: SqlDocumentStoreOptions) {
    this.kind = opts.kind;
    this.runner = opts.runner;
    this.batchRows = opts.batchRows ?? 256;
    if (!Number.isInteger(this.batchRows) || this.batchRows < 1) throw new Error(`batchRows must be a positive whole number, got ${this.batchRows}`);
    this.lexical = opts.lexicalIndex === 'sql' ? undefined : new Bm25Replicas((work) => this.run((c) => work(c), { timeoutMs: null }), opts.log);
  }

  /** Prepares the database once; a failed attempt is forgotten so the next call tries again. */
  prepare(options: CallOptions = {}): Promise<StoreFacts> {
    this.preparing ??= this.runner.run((c) => prepareDatabase(c, this.opts.schema, this.opts.log, this.opts.indexMemory), options).then(
      (facts) => {
        this.runner.enableVectorTypes();
        return { ...facts, lexical: this.lexical };
      },
      (err: unknown) => {
        this.preparing = undefined;
        throw err;
      },
    );
    return this.preparing;
  }

  /** Prepared, then `work` in one transaction. */
  private async run<T>(work: (client: pg.PoolClient, facts: StoreFacts) => Promise<T>, options: CallOptions & { timeoutMs?: number | null } = {}): Promise<T> {
    const facts = await this.prepare(options);
    return this.runner.run((client) => work(client, facts), options);
  }

  connections(): StoreConnections {
    const { pool } = this.opts;
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }

  async ping(options: CallOptions = {}): Promise<void> {
    await this.run((c) => c.query('SELECT 1'), options);
  }

  async createCollection(def: CollectionDefinition, options: CallOptions = {}): Promise<Collection> {
    const asked = resolveDefinition(def);
    return this.run((c) => createOrMatch(c, asked), options);
  }

  async getCollection(name: string, options: CallOptions = {}): Promise<Collection> {
    return (await this.run((c) => requireCollection(c, name), options)).collection;
  }

  async listCollections(options: CallOptions = {}): Promise<Collection[]> {
    return (await this.run((c) => listRegistered(c), options)).map((r) => r.collection);
  }

  async dropCollection(name: string, options: CallOptions = {}): Promise<void> {
    await this.run(async (c) => {
      const reg = await requireCollection(c, name, true);
      await deleteCollection(c, name);
      // An attached table is only forgotten; only a table of ours is dropped.
      if (reg.table !== null) {
        await c.query(`DROP TABLE IF EXISTS ${id(reg.table)}`);
        await dropBm25Stats(c, reg.table);
        this.lexical?.forget(reg.table);
      }
    }, options);
  }

  private async writable(name: string, options: CallOptions): Promise<{ reg: Registered; table: string }> {
    const reg = await this.run((c) => requireCollection(c, name), options);
    if (reg.table === null) readOnly(name);
    return { reg, table: reg.table };
  }

  async upsert(name: string, docs: readonly DocumentInput[], options: UpsertOptions = {}): Promise<UpsertResult> {
    const { reg, table } = await this.writable(name, options);
    const prepared = prepareDocuments(docs, reg.collection.dimensions);
    const indexed = await this.run((c) => hasHnswIndex(c, table), options);
    const done: UpsertResult = { upserted: 0, chunks: 0 };
    for (const batch of batches(prepared, this.batchRows)) {
      const started = performance.now();
      await this.run((c) => writeBatch(c, table, batch, reg.collection.vector_type), options);
      this.opts.observe?.('upsert_batch', (performance.now() - started) / 1000);
      done.upserted += batch.length;
      done.chunks += batch.reduce((n, d) => n + d.length, 0);
      options.onBatch?.({ ...done });
    }
    // A bulk load in several calls (deferIndex) ends with buildIndex, which analyzes once.
    if (options.deferIndex !== true) {
      if (!indexed && done.chunks > 0) await this.buildIndex(name, options);
      else if (done.chunks >= ANALYZE_AFTER_ROWS) await this.run((c) => analyzeTable(c, table), { signal: options.signal, timeoutMs: null });
    }
    return done;
  }

  async buildIndex(name: string, options: CallOptions = {}): Promise<boolean> {
    const reg = await this.run((c) => requireCollection(c, name), options);
    if (reg.table === null) return false;
    const table = reg.table;
    const started = performance.now();
    // No time limit: an index over 100,000 rows takes minutes in PGlite. The signal still cancels it.
    const built = await this.run((c) => buildHnswIndex(c, table, reg.collection, this.opts.indexMemory), { signal: options.signal, timeoutMs: null });
    if (built) this.opts.observe?.('index_build', (performance.now() - started) / 1000);
    return built;
  }

  async deleteDocuments(name: string, ids: readonly string[], options: CallOptions = {}): Promise<number> {
    if (!Array.isArray(ids)) throw new InvalidArgumentError('ids must be an array of strings.');
    ids.forEach((docId, i) => checkDocumentId(docId, `ids[${i}]`));
    const { table } = await this.writable(name, options);
    return this.run((c) => deleteRows(c, table, ids), options);
  }

  async getDocument(name: string, docId: string, options: CallOptions & { vectors?: boolean } = {}): Promise<StoredDocument | undefined> {
    checkDocumentId(docId, 'id');
    try {
      return await this.run(async (c) => readDocument(c, relationOf(await requireCollection(c, name)), docId, options.vectors === true), options);
    } catch (err) {
      // An id that the attached table's key type cannot hold (e.g. "abc" for an integer key) is simply absent.
      if (!(err instanceof RerankerError) && pgErrorCode(err) === '22P02') return undefined;
      throw err;
    }
  }

  async count(name: string, options: CallOptions = {}): Promise<number> {
    return this.run(async (c) => countDocuments(c, relationOf(await requireCollection(c, name))), options);
  }

  async scroll(name: string, page: ScrollPage, options: CallOptions = {}): Promise<StoredDocument[]> {
    if (!Number.isInteger(page.limit) || page.limit < 1) throw new InvalidArgumentError(`limit must be a positive whole number, got ${page.limit}.`);
    const filter = parsedOrNone(page.filter);
    return this.run(async (c) => {
      const rel = relationOf(await requireCollection(c, name));
      return scrollDocuments(c, rel, compiledOver(rel, filter), page.after, page.limit, page.vectors === true);
    }, options);
  }

  async getDocuments(name: string, ids: readonly string[], options: CallOptions = {}): Promise<StoredDocument[]> {
    ids.forEach((docId, i) => checkDocumentId(docId, `ids[${i}]`));
    return this.run(async (c) => readDocuments(c, relationOf(await requireCollection(c, name)), ids), options);
  }

  async countMatching(name: string, filter: Filter | ParsedFilter | undefined, options: CallOptions = {}): Promise<number> {
    const parsed = parsedOrNone(filter);
    return this.run(async (c) => {
      const rel = relationOf(await requireCollection(c, name));
      return countMatching(c, rel, compiledOver(rel, parsed));
    }, options);
  }

  async deleteMatching(name: string, filter: Filter | ParsedFilter, options: CallOptions = {}): Promise<number> {
    const parsed = toParsedFilter(filter);
    const { reg, table } = await this.writable(name, options);
    return this.run((c) => deleteMatching(c, table, compiledOver(relationOf(reg), parsed)), options);
  }

  async updateMetadata(name: string, docId: string, metadata: Record<string, unknown>, mode: 'merge' | 'replace', options: CallOptions = {}): Promise<StoredDocument | undefined> {
    checkDocumentId(docId, 'id');
    checkMetadataObject(metadata, 'metadata');
    const { reg, table } = await this.writable(name, options);
    return this.run(async (c) => ((await updateMetadata(c, table, docId, metadata, mode)) ? readDocument(c, relationOf(reg), docId, false) : undefined), options);
  }

  vectorSearch(name: string, vector: Float32Array, k: number, options: SearchOptions = {}): Promise<SearchHit[]> {
    return this.search(name, { kind: 'vector', vector }, k, options);
  }

  lexicalSearch(name: string, query: string, k: number, options: SearchOptions = {}): Promise<SearchHit[]> {
    return this.search(name, { kind: 'lexical', query }, k, options);
  }

  searchScope(collection: Collection, filter?: Filter | ParsedFilter): SearchScope {
    return new SqlSearchScope(collection, filter, (work, options) => this.run(work, options), this.opts.observe);
  }

  /** A search by name: reads the collection and compiles the filter inside the leg's own transaction. */
  private async search(name: string, query: SearchQuery, k: number, options: SearchOptions): Promise<SearchHit[]> {
    checkQuery(query, k);
    const filter = options.filter === undefined ? undefined : toParsedFilter(options.filter);
    checkEfSearch(options);
    return observedLeg(this.opts.observe, query.kind, () =>
      this.run(async (c, facts) => searchDocuments(c, facts, searchTarget(await requireCollection(c, name), filter), query, k, options), options),
    );
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.opts.pool.end();
      } finally {
        await this.opts.onClose?.();
      }
    })();
    return this.closing;
  }
}
