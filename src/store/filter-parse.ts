import { InvalidArgumentError } from '../errors.js';
import { ParsedFilter, type FieldTest, type Filter, type FilterNode, type RangeOperator } from './filter-ast.js';

export const FILTER_LIMITS = { depth: 8, conditions: 100, valueDepth: 32 } as const;

/** jsonb refuses the escape of a lone UTF-16 surrogate: refused here with its path, not by the store as a 500. */
const LONE_SURROGATE = /\p{Cs}/u;

const RANGE_OPERATORS: ReadonlySet<string> = new Set<RangeOperator>(['$gt', '$gte', '$lt', '$lte']);
const OPERATORS: ReadonlySet<string> = new Set(['$eq', '$ne', '$in', ...RANGE_OPERATORS]);

function fail(path: string, problem: string): never {
  throw new InvalidArgumentError(`${path}: ${problem}`, 'INVALID_FILTER');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Parses and checks a filter (grammar in filter-ast.ts) into its AST, once per request. Throws
 * InvalidArgumentError (INVALID_FILTER) naming the path of the first offending part, e.g.
 * `filter.$and[1].price: unknown operator $foo`. The walk visits parts in the order a compiler
 * reads them, so the first error is the same whichever backend runs the filter.
 */
export function parseFilter(filter: unknown): ParsedFilter {
  const counter = { conditions: 0 };
  const root = parseNode(filter, 'filter', 1, counter);
  return new ParsedFilter(root, counter.conditions);
}

/** Validates a filter without a statement to compile it for, so a route can answer 422 before any store call. */
export function checkFilter(filter: unknown): asserts filter is Filter {
  parseFilter(filter);
}

/** A filter as a caller holds it, raw or already parsed: parsed here at most once. */
export function toParsedFilter(filter: Filter | ParsedFilter): ParsedFilter {
  return filter instanceof ParsedFilter ? filter : parseFilter(filter);
}

interface Counter {
  conditions: number;
}

function parseNode(node: unknown, path: string, depth: number, counter: Counter): FilterNode {
  if (depth > FILTER_LIMITS.depth) fail(path, `filters nest at most ${FILTER_LIMITS.depth} levels deep`);
  if (!isObject(node)) fail(path, 'must be an object');
  const parts: FilterNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === '$and' || key === '$or') {
      const p = `${path}.${key}`;
      if (!Array.isArray(value)) fail(p, 'must be an array of filters');
      if (value.length === 0) fail(p, 'must not be empty');
      const of = value.map((v, i) => parseNode(v, `${p}[${i}]`, depth + 1, counter));
      parts.push({ kind: key === '$and' ? 'and' : 'or', of });
    } else if (key.startsWith('$')) {
      fail(path, `unknown operator ${key}`);
    } else {
      parts.push(parseField(key, value, childPath(path, key), counter));
    }
  }
  return { kind: 'and', of: parts };
}

/** Splits a field name on unescaped dots: "a.b" -> [a, b]; "a\.b" -> ["a.b"]. */
export function fieldPath(key: string, path: string): string[] {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i]!;
    if (c === '\\') {
      const next = key[i + 1];
      if (next !== '.' && next !== '\\' && next !== '$') fail(path, 'a backslash in a field name escapes only ".", "$" or "\\"');
      current += next;
      i++;
    } else if (c === '.') {
      segments.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  segments.push(current);
  if (segments.some((s) => s === '')) fail(path, 'a field path has an empty step');
  if (key.includes('\u0000')) fail(path, 'a field name cannot contain NUL (U+0000)');
  if (LONE_SURROGATE.test(key)) fail(path, 'a field name cannot contain a lone UTF-16 surrogate');
  return segments;
}

function parseField(key: string, value: unknown, path: string, counter: Counter): FilterNode {
  const segments = fieldPath(key, path);
  const count = (): void => {
    if (++counter.conditions > FILTER_LIMITS.conditions) fail(path, `a filter holds at most ${FILTER_LIMITS.conditions} conditions`);
  };
  const opKeys = isObject(value) ? Object.keys(value).filter((k) => k.startsWith('$')) : [];
  if (!isObject(value) || opKeys.length === 0) {
    count();
    return { kind: 'field', path: segments, tests: [{ op: '$eq', value: jsonValue(value, path) }] };
  }
  if (opKeys.length !== Object.keys(value).length) fail(path, `mixes operators (${opKeys.join(', ')}) with plain keys; compare a whole object with {"$eq": {...}}`);
  const tests: FieldTest[] = [];
  for (const op of opKeys) {
    const operand = value[op];
    const p = `${path}.${op}`;
    if (!OPERATORS.has(op)) fail(path, `unknown operator ${op}`);
    count();
    if (op === '$eq' || op === '$ne') tests.push({ op, value: jsonValue(operand, p) });
    else if (op === '$in') {
      if (!Array.isArray(operand)) fail(p, 'must be an array');
      tests.push({ op, values: operand.map((v, i) => jsonValue(v, `${p}[${i}]`)) });
    } else tests.push({ op: op as RangeOperator, value: rangeOperand(operand, p) });
  }
  return { kind: 'field', path: segments, tests };
}

function rangeOperand(operand: unknown, path: string): number | string {
  if (typeof operand !== 'number' && typeof operand !== 'string') return fail(path, 'compares only with a number or a string');
  checkJson(operand, path, 0);
  return operand;
}

/** A checked copy of a filter value: the AST never shares objects with the request. */
function jsonValue(value: unknown, path: string): unknown {
  checkJson(value, path, 0);
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function checkJson(value: unknown, path: string, depth: number): void {
  if (depth > FILTER_LIMITS.valueDepth) fail(path, `values nest at most ${FILTER_LIMITS.valueDepth} levels deep`);
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(path, 'numbers must be finite');
    return;
  }
  if (typeof value === 'string') {
    if (value.includes('\u0000')) fail(path, 'strings cannot contain NUL (U+0000)');
    if (LONE_SURROGATE.test(value)) fail(path, 'strings cannot contain a lone UTF-16 surrogate');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(v, `${path}[${i}]`, depth + 1));
    return;
  }
  if (isObject(value) && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) fail(path, 'object keys cannot contain NUL (U+0000)');
      if (LONE_SURROGATE.test(k)) fail(path, 'object keys cannot contain a lone UTF-16 surrogate');
      checkJson(v, childPath(path, k), depth + 1);
    }
    return;
  }
  fail(path, `is not a JSON value (${typeof value})`);
}
