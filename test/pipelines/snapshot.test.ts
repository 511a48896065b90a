import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ndjsonLines } from '../../src/http/collections/ndjson.js';
import { exportSnapshot, shortestFloat32 } from '../../src/pipelines/snapshot-export.js';
import { importSnapshot } from '../../src/pipelines/snapshot-import.js';
import type { DocumentInput, DocumentStore, ScrollPage, UpsertOptions } from '../../src/store/document-store.js';
import { adminSql, ENABLE_POSTGRES_HINT, pgliteUnderTest, postgresUnavailable, postgresUnderTest, randomUnitVector, runSuffix, seeded, type StoreUnderTest } from '../store/store-fixtures.js';

/*
 * Snapshots (issue 23): a collection of 10,000 documents (some in several chunks) exported from
 * PGlite, imported into Postgres, exported again, imported into a fresh PGlite and exported a third
 * time. The three files hold the same bytes past their first line, and the stores answer the same
 * searches with the same scores. Reads and writes go a page or a batch at a time.
 */

const postgres = await postgresUnavailable();
const DOCS = 10_000;
const DIMS = 16;
const NAME = 'snap';
const WORDS = 'paris france capital river seine bank bread cheese wine tower museum art history war king queen republic city north south europe language music painting garden'.split(' ');

function corpus(): DocumentInput[] {
  const rand = seeded(99);
  const text = (n: number): string => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  return Array.from({ length: DOCS }, (_, i) => {
    const chunks = i % 10 === 0 ? 3 : 1;
    const parts = Array.from({ length: chunks }, () => text(4 + Math.floor(rand() * 20)));
    return {
      // Ids that sort differently by bytes and by number, with non-ASCII among them.
      id: i % 97 === 0 ? `doc-é-${i}` : `doc-${i}`,
      text: parts.join(' '),
      metadata: { group: i % 7, price: Math.round(rand() * 1000) / 10, tags: i % 3 === 0 ? ['a', 'b'] : [], nested: { ok: i % 2 === 0 } },
      chunks: parts.map((p) => ({ text: p, embedding: randomUnitVector(rand, DIMS) })),
    };
  });
}

/** A store whose reads and writes are watched: the largest page read and batch written. */
function watched(store: DocumentStore): { store: DocumentStore; largestPage: () => number; largestBatch: () => number } {
  let page = 0;
  let batch = 0;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'scroll') {
        return async (name: string, p: ScrollPage, o?: object) => {
          const docs = await target.scroll(name, p, o);
          page = Math.max(page, docs.length);
          return docs;
        };
      }
      if (prop === 'upsert') {
        return (name: string, docs: readonly DocumentInput[], o?: UpsertOptions) => {
          batch = Math.max(batch, docs.length);
          return target.upsert(name, docs, o);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, largestPage: () => page, largestBatch: () => batch };
}

async function exportTo(store: DocumentStore, file: string): Promise<void> {
  const w = watched(store);
  await pipeline([Readable.from(exportSnapshot(w.store, await store.getCollection(NAME))), createGzip(), createWriteStream(file)]);
  expect(w.largestPage()).toBeLessThanOrEqual(256);
}

async function importFrom(store: DocumentStore, file: string): Promise<number> {
  const w = watched(store);
  const { documents } = await importSnapshot(w.store, ndjsonLines(createReadStream(file).pipe(createGunzip()), 16 * 2 ** 20));
  expect(w.largestBatch()).toBeLessThanOrEqual(256);
  return documents;
}

/** The file's lines, the first without the collection's creation time (each import makes its own). */
async function linesOf(file: string): Promise<string[]> {
  const lines = gunzipSync(await readFile(file)).toString('utf8').trimEnd().split('\n');
  const header = JSON.parse(lines[0] as string) as { collection: { created_at?: string } };
  delete header.collection.created_at;
  return [JSON.stringify(header), ...lines.slice(1)];
}

describe('floats in a snapshot', () => {
  it('are the shortest decimals that parse back to the same float32', () => {
    const rand = seeded(5);
    for (let i = 0; i < 20_000; i++) {
      const f = Math.fround((rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 6));
      const s = shortestFloat32(f);
      expect(Math.fround(s)).toBe(f);
      // Its significant digits, as JavaScript prints the decimal; one fewer would not parse back.
      const digits = s.toExponential().split('e')[0]?.replace(/[-.]/g, '').length ?? 0;
      expect(digits).toBeLessThanOrEqual(9);
      if (digits > 1) expect(Math.fround(Number(f.toPrecision(digits - 1)))).not.toBe(f);
    }
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(Math.fround(1 / 3))).toBe(0.33333334);
  });
});

describe.skipIf(postgres !== undefined)(`a snapshot round trip PGlite -> Postgres -> PGlite, ${DOCS} documents${postgres === undefined ? '' : ` (${ENABLE_POSTGRES_HINT})`}`, () => {
  let dir: string;
  const stores: StoreUnderTest[] = [];
  const schema = `snap_${runSuffix()}`;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapshot-'));
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await adminSql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same documents, vectors and search answers on every store', async () => {
    const source = await pgliteUnderTest();
    stores.push(source);
    await source.store.createCollection({ name: NAME, dimensions: DIMS, distance: 'cosine', language: 'english', hnsw: { m: 8, ef_construction: 32 }, embedding_model: 'forged/embedder' });
    const docs = corpus();
    await source.store.upsert(NAME, docs);
    await exportTo(source.store, join(dir, 'a.ndjson.gz'));

    const server = await postgresUnderTest({ schema });
    stores.push(server);
    expect(await importFrom(server.store, join(dir, 'a.ndjson.gz'))).toBe(DOCS);
    await exportTo(server.store, join(dir, 'b.ndjson.gz'));

    const back = await pgliteUnderTest();
    stores.push(back);
    expect(await importFrom(back.store, join(dir, 'b.ndjson.gz'))).toBe(DOCS);
    await exportTo(back.store, join(dir, 'c.ndjson.gz'));

    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((x) => linesOf(join(dir, `${x}.ndjson.gz`))));
    expect(a).toHaveLength(DOCS + 2);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    // The vectors in the file are the ones written, to the last bit of each float32.
    const first = JSON.parse((a as string[])[1] as string) as { id: string; chunks: { embedding: number[] }[] };
    const written = docs.find((d) => d.id === first.id);
    expect(Float32Array.from(first.chunks[0]?.embedding ?? [])).toEqual(written?.chunks[0]?.embedding);

    // The settings came along.
    expect(await back.store.getCollection(NAME)).toMatchObject({ dimensions: DIMS, distance: 'cosine', hnsw: { m: 8, ef_construction: 32 }, embedding_model: 'forged/embedder' });

    // Searches: exact kNN and the lexical leg, with a filter, answer the same on the three stores.
    const rand = seeded(7);
    for (let q = 0; q < 5; q++) {
      const vector = randomUnitVector(rand, DIMS);
      const filter = { group: q };
      const answers = await Promise.all(stores.map(async (s) => {
        const scope = s.store.searchScope(await s.store.getCollection(NAME), filter);
        return { vector: await scope.vectorSearch(vector, 20, { exact: true }), lexical: await scope.lexicalSearch(`${WORDS[q]} ${WORDS[q + 5]}`, 20) };
      }));
      const strip = (hits: { id: string; score: number }[]) => hits.map((h) => ({ id: h.id, score: h.score }));
      const [first, server, last] = answers;
      // The two PGlite stores hold the same rows: the same answers to the last bit.
      expect(strip(last?.vector ?? [])).toEqual(strip(first?.vector ?? []));
      expect(strip(last?.lexical ?? [])).toEqual(strip(first?.lexical ?? []));
      // Postgres computes pgvector's distances with its own build (native SIMD, not WebAssembly), so
      // the same vectors score within float32 rounding there: the same documents, in the same order.
      expect(server?.vector.map((h) => h.id)).toEqual(first?.vector.map((h) => h.id));
      server?.vector.forEach((h, i) => expect(Math.abs(h.score - (first?.vector[i]?.score ?? NaN))).toBeLessThan(1e-6));
      expect(strip(server?.lexical ?? [])).toEqual(strip(first?.lexical ?? []));
      expect(first?.vector).toHaveLength(20);
      expect(first?.lexical.length).toBeGreaterThan(0);
    }
  });
});
