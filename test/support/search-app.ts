import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawSettings } from '../../src/config.js';
import { inject, type Injected } from '../helpers/inject.js';
import { STORE_TEST_URL } from '../store/store-fixtures.js';
import { forgedEmbedder, testApp, type TestApp } from './test-app.js';

export { STORE_TEST_URL, ENABLE_POSTGRES_HINT as POSTGRES_HINT, postgresUnavailable as postgresProblem } from '../store/store-fixtures.js';

export interface SearchApp extends TestApp {
  backend: 'pglite' | 'postgres';
  post(url: string, payload: unknown, headers?: Record<string, string>): Promise<Injected>;
  put(url: string, payload?: unknown): Promise<Injected>;
}

/** The real app with a forged reranker and embedder and a real store: embedded PGlite in a temp dir, or Postgres. */
export async function searchApp(backend: 'pglite' | 'postgres', settings: RawSettings = {}): Promise<SearchApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'search-app-'));
  const t = await testApp({ embeddingModel: await forgedEmbedder(), dataDir, store: backend === 'postgres' ? STORE_TEST_URL : '', ...settings });
  return {
    ...t,
    backend,
    post: (url, payload, headers) => inject(t.app, 'POST', url, payload, headers),
    put: (url, payload) => inject(t.app, 'PUT', url, payload),
    close: async () => {
      await t.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const WORDS = 'paris france capital river seine bank bread cheese wine tower museum art history war king queen republic city north south europe language music painting garden'.split(' ');

/** Seeded documents with metadata: group 0-4, a price, a language. */
export function corpus(n: number, seed = 1): { id: string; text: string; metadata: { group: number; price: number; lang: string } }[] {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => ({
    id: `doc-${i}`,
    text: Array.from({ length: 5 + Math.floor(next() * 25) }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' '),
    metadata: { group: i % 5, price: Math.floor(next() * 100), lang: i % 3 === 0 ? 'fr' : 'en' },
  }));
}
