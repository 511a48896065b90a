import { afterAll, beforeAll } from 'vitest';
import { collectionsTests } from './suite-collections.js';
import { filterTests } from './suite-filters.js';
import { hostileInputTests } from './suite-hostile.js';
import { searchTests } from './suite-search.js';
import { bm25Tests } from './suite-bm25.js';
import { halfvecTests } from './suite-halfvec.js';
import { runSuffix, type StoreUnderTest } from './store-fixtures.js';

/** What every part of the suite gets: the store under test and fresh collection names for this run. */
export interface SuiteContext {
  readonly t: StoreUnderTest;
  /** In every collection name of this run. */
  readonly suffix: string;
  /** A collection name unique to this run; dropped after the suite. */
  name(prefix: string): string;
}

/**
 * The same collection tests for every backend; `open` gives a store and a plain pool to the same
 * database. Collections carry a random suffix and are dropped afterwards, so runs never collide.
 */
export function storeSuite(open: () => Promise<StoreUnderTest>): void {
  const suffix = runSuffix();
  const names: string[] = [];
  let current: StoreUnderTest | undefined;
  const ctx: SuiteContext = {
    get t() {
      if (current === undefined) throw new Error('the store under test is not open');
      return current;
    },
    suffix,
    name(prefix) {
      const n = `${prefix}-${suffix}`;
      names.push(n);
      return n;
    },
  };
  beforeAll(async () => {
    current = await open();
  });
  afterAll(async () => {
    if (current === undefined) return;
    for (const n of names) await current.store.dropCollection(n).catch(() => undefined);
    await current.close();
  });
  collectionsTests(ctx);
  searchTests(ctx);
  bm25Tests(ctx);
  halfvecTests(ctx);
  filterTests(ctx);
  hostileInputTests(ctx);
}
