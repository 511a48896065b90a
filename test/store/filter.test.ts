import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { fieldPath, parseFilter } from '../../src/store/filter-parse.js';
import { compileFilter } from '../../src/store/sql/filter-sql.js';
import { FILTERS } from './suite-filters.js';

function compile(filter: unknown): { sql: string; values: unknown[] } {
  const { sql, values } = compileFilter(parseFilter(filter), 'm');
  return { sql, values: [...values] };
}

describe('filter compiler', () => {
  it('puts every field name and value in a parameter, never in the SQL text', () => {
    const hostile = `x'); DROP TABLE t; --`;
    const { sql, values } = compile({ [hostile]: hostile, $or: [{ [`${hostile}2`]: { $in: [hostile] } }, { n: { $gte: 3, $lt: `${hostile}3` } }] });
    expect(sql).not.toContain('DROP');
    expect(sql).not.toMatch(/'x'/);
    expect(values).toContainEqual([hostile]);
    expect(values).toContain(JSON.stringify(hostile));
    expect(sql).toMatch(/^\(\(m @> \$3::jsonb AND \(m #> \$1::text\[\]\) = \$2::jsonb\) AND \(/);
  });

  it('compiles every filter of the suite', () => {
    for (const filter of FILTERS) expect(() => compile(filter), JSON.stringify(filter)).not.toThrow();
    expect(compile({}).sql).toBe('TRUE');
    expect(compile({ c: { $in: [] } }).sql).toBe('FALSE');
  });

  it('guards range comparisons by JSON type, and compares strings by code point', () => {
    expect(compile({ p: { $gt: 10 } })).toEqual({ sql: `(jsonb_typeof((m #> $2::text[])) = 'number' AND (m #> $2::text[]) > $1::jsonb)`, values: ['10', ['p']] });
    expect(compile({ p: { $lte: '10' } })).toEqual({ sql: `(jsonb_typeof((m #> $2::text[])) = 'string' AND (m #>> $2::text[]) COLLATE "C" <= $1::text COLLATE "C")`, values: ['10', ['p']] });
    expect(compile({ p: { $ne: 1 } }).sql).toBe('(m #> $1::text[]) IS DISTINCT FROM $2::jsonb');
    // A numeric step may index an array, where containment would not hold: exact equality only.
    expect(compile({ 'tags.0': 'x' }).sql).toBe('(m #> $1::text[]) = $2::jsonb');
  });

  it('splits dotted paths, with backslash escapes for ".", "$" and "\\"', () => {
    expect(fieldPath('a.b.c', 'f')).toEqual(['a', 'b', 'c']);
    expect(fieldPath('a\\.b.c', 'f')).toEqual(['a.b', 'c']);
    expect(fieldPath('\\$a.b\\\\c', 'f')).toEqual(['$a', 'b\\c']);
    expect(() => fieldPath('a\\b', 'filter.x')).toThrow('filter.x: a backslash in a field name escapes only');
    expect(compile({ '\\$price': 1 }).values[0]).toEqual(['$price']);
  });

  it('counts conditions and depth across the whole filter', () => {
    const hundred = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    expect(() => compile(hundred)).not.toThrow();
    const err = (() => {
      try {
        compile({ ...hundred, $and: [{ one: { $gt: 1, $lt: 5 } }] });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe('filter.$and[0].one: a filter holds at most 100 conditions');
  });
});
