import { describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { ParsedFilter } from '../../src/store/filter-ast.js';
import { checkFilter, parseFilter, toParsedFilter } from '../../src/store/filter-parse.js';
import type * as FilterSql from '../../src/store/sql/filter-sql.js';
import { compileFilter } from '../../src/store/sql/filter-sql.js';
import { FILTERS } from './suite-filters.js';

// Counts compilations, to show that checking or parsing a filter compiles nothing.
vi.mock('../../src/store/sql/filter-sql.js', async (original) => {
  const real = await original<typeof FilterSql>();
  return { ...real, compileFilter: vi.fn(real.compileFilter) };
});

const deep = (n: number): unknown => (n === 0 ? { a: 1 } : { $and: [deep(n - 1)] });
const many = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

/**
 * Every message as the SQL compiler gave it before the filter had an AST (checked against that
 * compiler when the AST came in): the first problem in reading order wins, with its path.
 */
const BAD_FILTERS: [unknown, string][] = [
  [[], 'filter: must be an object'],
  [null, 'filter: must be an object'],
  [{ $and: {} }, 'filter.$and: must be an array of filters'],
  [{ $or: [] }, 'filter.$or: must not be empty'],
  [{ $foo: 1 }, 'filter: unknown operator $foo'],
  [{ price: { $near: 3 } }, 'filter.price: unknown operator $near'],
  [{ price: { $gt: 1, x: 2 } }, 'filter.price: mixes operators ($gt) with plain keys; compare a whole object with {"$eq": {...}}'],
  [{ price: { $gt: true } }, 'filter.price.$gt: compares only with a number or a string'],
  [{ a: { $in: 3 } }, 'filter.a.$in: must be an array'],
  [{ 'a..b': 1 }, 'filter["a..b"]: a field path has an empty step'],
  [{ 'a\\b': 1 }, 'filter["a\\\\b"]: a backslash in a field name escapes only ".", "$" or "\\"'],
  [{ a: 'x\u0000' }, 'filter.a: strings cannot contain NUL (U+0000)'],
  [{ a: { $in: [1, '\ud800'] } }, 'filter.a.$in[1]: strings cannot contain a lone UTF-16 surrogate'],
  [{ b: { $ne: Number.NaN } }, 'filter.b.$ne: numbers must be finite'],
  [{ b: { $lt: Number.POSITIVE_INFINITY } }, 'filter.b.$lt: numbers must be finite'],
  [{ b: { $eq: { k: [1, { 'x\u0000': 2 }] } } }, 'filter.b.$eq.k[1]: object keys cannot contain NUL (U+0000)'],
  [{ b: { $eq: new Date(0) } }, 'filter.b.$eq: is not a JSON value (object)'],
  [deep(8), `filter${'.$and[0]'.repeat(8)}: filters nest at most 8 levels deep`],
  [many(101), 'filter.k100: a filter holds at most 100 conditions'],
  [{ ...many(99), z: { $gt: 1, $lt: 2 } }, 'filter.z: a filter holds at most 100 conditions'],
  [{ $and: [{ x: { $bad: 1 } }], y: { $in: 5 } }, 'filter.$and[0].x: unknown operator $bad'],
  [{ y: { $in: 5 }, $and: [{ x: { $bad: 1 } }] }, 'filter.y.$in: must be an array'],
  [{ a: { $gt: 1, $in: 'x' } }, 'filter.a.$in: must be an array'],
  [{ $or: [{ a: 1 }, 'b'] }, 'filter.$or[1]: must be an object'],
];

function problem(filter: unknown): unknown {
  try {
    parseFilter(filter);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('filter AST', () => {
  it('parses a filter into a tree of fields and tests, with no SQL in it', () => {
    const parsed = parseFilter({ group: 2, $or: [{ 'a\\.b.c': { $gte: 3, $lt: 'x' } }, { tags: { $in: [] } }], n: { $ne: null } });
    expect(parsed).toBeInstanceOf(ParsedFilter);
    expect(parsed.conditions).toBe(5);
    expect(parsed.root).toEqual({
      kind: 'and',
      of: [
        { kind: 'field', path: ['group'], tests: [{ op: '$eq', value: 2 }] },
        {
          kind: 'or',
          of: [
            { kind: 'and', of: [{ kind: 'field', path: ['a.b', 'c'], tests: [{ op: '$gte', value: 3 }, { op: '$lt', value: 'x' }] }] },
            { kind: 'and', of: [{ kind: 'field', path: ['tags'], tests: [{ op: '$in', values: [] }] }] },
          ],
        },
        { kind: 'field', path: ['n'], tests: [{ op: '$ne', value: null }] },
      ],
    });
    expect(parseFilter({}).root).toEqual({ kind: 'and', of: [] });
  });

  it('keeps no reference to the request: a later change to it changes nothing parsed', () => {
    const value = { k: [1, 2] };
    const parsed = parseFilter({ a: value });
    value.k.push(3);
    expect(compileFilter(parsed, 'm').values).toContain(JSON.stringify({ a: { k: [1, 2] } }));
  });

  it('checks and parses without compiling, and a parsed filter is never parsed again', () => {
    const compiled = vi.mocked(compileFilter);
    compiled.mockClear();
    for (const filter of FILTERS) checkFilter(filter);
    const parsed = parseFilter(FILTERS[0]);
    expect(toParsedFilter(parsed)).toBe(parsed);
    expect(compiled).not.toHaveBeenCalled();
  });

  it('refuses bad filters with INVALID_FILTER and the message the SQL compiler gave', () => {
    for (const [filter, message] of BAD_FILTERS) {
      const err = problem(filter);
      expect(err, message).toBeInstanceOf(InvalidArgumentError);
      expect({ code: (err as InvalidArgumentError).code, message: (err as Error).message }).toEqual({ code: 'INVALID_FILTER', message });
    }
  });
});
