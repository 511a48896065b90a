import type { ObserveStage, StoreLog } from './document-store.js';

/** What every backend's opener takes besides the store settings. */
export interface OpenStoreOptions {
  log?: StoreLog | undefined;
  observe?: ObserveStage | undefined;
  /** Rows per committed upsert batch (default 256). */
  batchRows?: number | undefined;
}
