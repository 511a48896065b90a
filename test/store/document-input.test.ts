import { describe, expect, it } from 'vitest';
import { batches, prepareDocuments, vectorParam } from '../../src/store/sql/prepared-rows.js';
import { seeded } from './store-fixtures.js';

describe('document input', () => {
  it('writes vectors in text that parses back to the same float32 values', () => {
    const rand = seeded(1);
    // -0 comes back as 0 (as JSON.stringify writes it), which no distance tells apart.
    const special = [0, 1, -1, 1e-45, 1.17549435e-38, 3.4028234e38, -3.4028234e38, 0.1, 1 / 3];
    const values = Float32Array.from([...special, ...Array.from({ length: 100_000 }, () => (rand() - 0.5) * 10 ** Math.floor(rand() * 20 - 10))]);
    const text = vectorParam(values, values.length, 'v');
    const parsed = Float32Array.from(text.slice(1, -1).split(','), Number);
    expect(parsed).toEqual(values);
    // Shorter than a float32 widened to double (up to 17 digits).
    expect(vectorParam(Float32Array.of(0.3), 1, 'v')).toBe('[0.300000012]');
  });

  it('keeps the last version of a repeated id and never splits a document across batches', () => {
    const doc = (id: string, chunks: number) => ({ id, text: id, chunks: Array.from({ length: chunks }, () => ({ text: 'c', embedding: Float32Array.of(1) })) });
    const rows = prepareDocuments([doc('a', 1), doc('b', 3), doc('a', 2), doc('c', 1)], 1);
    expect(rows.map((d) => [d[0]!.id, d.length])).toEqual([['b', 3], ['a', 2], ['c', 1]]);
    expect([...batches(rows, 4)].map((b) => b.map((d) => d[0]!.id))).toEqual([['b'], ['a', 'c']]);
    expect([...batches(rows, 1)].map((b) => b.length)).toEqual([1, 1, 1]);
  });
});
