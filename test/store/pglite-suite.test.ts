import { describe } from 'vitest';
import { storeSuite } from './collection-suite.js';
import { pgliteUnderTest } from './store-fixtures.js';

describe('embedded store: PGlite in its worker, over pglite-socket', () => {
  storeSuite(() => pgliteUnderTest());
});
