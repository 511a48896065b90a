import type { StoreSettings } from '../config.js';
import { ConfigError } from '../errors.js';
import type { DocumentStore } from './document-store.js';
import { describeUrl, openEmbeddedStore, openPostgresStore, type OpenStoreOptions } from './open-store.js';

export type {
  AttachedSource,
  CallOptions,
  ChunkingSettings,
  Collection,
  CollectionDefinition,
  Distance,
  DocumentChunk,
  DocumentInput,
  DocumentStore,
  Filter,
  HnswSettings,
  ObserveStage,
  SearchHit,
  SearchOptions,
  StoredDocument,
  StoreLog,
  UpsertOptions,
  UpsertResult,
} from './document-store.js';
export type { OpenStoreOptions } from './open-store.js';
export { checkCollectionName } from './collection-name.js';
export { checkFilter, FILTER_LIMITS } from './filter.js';
export { MAX_EF_SEARCH, MAX_K } from './search.js';

/**
 * The store the settings ask for: undefined when turned off (`none`), Postgres with pgvector for a
 * postgres:// URL, else the embedded PGlite store in settings.dataDir. close() it on shutdown.
 */
export async function openStore(settings: StoreSettings, opts: OpenStoreOptions = {}): Promise<DocumentStore | undefined> {
  const url = settings.url?.trim();
  if (url?.toLowerCase() === 'none') return undefined;
  if (url === undefined || url === '') return openEmbeddedStore(settings, opts);
  if (/^postgres(ql)?:\/\//i.test(url)) return openPostgresStore(url, settings, opts);
  throw new ConfigError(`STORE_URL must be a postgres:// URL, none, or unset for the embedded store; got ${describeUrl(url)}.`);
}
