import type { StoreSettings } from '../config.js';
import { ConfigError } from '../errors.js';
import type { DocumentStore } from './document-store.js';
import type { OpenStoreOptions } from './open-store-options.js';
import { openEmbeddedStore } from './pglite/open-embedded-store.js';
import { describeUrl, openPostgresStore } from './postgres/open-postgres-store.js';

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
