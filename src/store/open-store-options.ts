import type { StoreErrorCode } from '../errors.js';
import type { ObserveStage, StoreLog } from './document-store.js';

/** What every backend's opener takes besides the store settings. */
export interface OpenStoreOptions {
  log?: StoreLog | undefined;
  observe?: ObserveStage | undefined;
  /** Told the code of every failed store call's answer (reranker_store_errors_total). */
  onError?: ((code: StoreErrorCode) => void) | undefined;
  /** Rows per committed upsert batch (default 256). */
  batchRows?: number | undefined;
}
