import { InvalidArgumentError } from '../errors.js';
import { SqlParams } from './sql-params.js';

/**
 * A metadata filter, as in `/search`:
 *   {"field": value}                         equality, the JSON value compared as jsonb
 *   {"field": {"$eq"|"$ne": v}}              `$ne` also matches documents without the field
 *   {"field": {"$in": [v, ...]}}             equal to one of them ([] matches nothing)
 *   {"field": {"$gt"|"$gte"|"$lt"|"$lte": v}} v a number or a string; only values of the same JSON
 *                                            type compare, so "10" never matches {"$gt": 9};
 *                                            strings compare by code point (COLLATE "C")
 *   {"$and": [f, ...]}, {"$or": [f, ...]}    non-empty lists of filters
 * Several keys in one object, and several operators on one field, all have to hold.
 * A field is a dotted path into nested objects ("a.b" is metadata.a.b; a numeric step indexes an
 * array). A key that itself contains a dot is written with a backslash: "a\\.b" in JSON (the key
 * `a.b`); a backslash itself is "\\\\" in JSON, and a field whose name starts with "$" is written
 * "\\$name" (a bare "$name" is an operator). Equality with null matches an explicit null only.
 */
export type Filter = Record<string, unknown>;

export const FILTER_LIMITS = { depth: 8, conditions: 100, valueDepth: 32 } as const;

/** jsonb refuses the escape of a lone UTF-16 surrogate: refused here with its path, not by the store as a 500. */
const LONE_SURROGATE = /\p{Cs}/u;

const RANGE = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;
const OPERATORS = new Set(['$eq', '$ne', '$in', ...Object.keys(RANGE)]);

interface Ctx {
  metadata: string;
  params: SqlParams;
  conditions: number;
}

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
 * Compiles a filter into a boolean SQL expression over the jsonb expression `metadata`; every
 * field name and value becomes a parameter. Throws InvalidArgumentError (INVALID_FILTER) naming the
 * path of the offending part, e.g. `filter.$and[1].price: unknown operator $foo`.
 */
export function compileFilter(filter: unknown, metadata: string, params: SqlParams): string {
  return compileNode(filter, 'filter', 1, { metadata, params, conditions: 0 });
}

/** Validates a filter without a statement to compile it for, so a route can answer 422 before any store call. */
export function checkFilter(filter: unknown): asserts filter is Filter {
  compileFilter(filter, 'metadata', new SqlParams());
}

function compileNode(node: unknown, path: string, depth: number, ctx: Ctx): string {
  if (depth > FILTER_LIMITS.depth) fail(path, `filters nest at most ${FILTER_LIMITS.depth} levels deep`);
  if (!isObject(node)) fail(path, 'must be an object');
  const parts: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === '$and' || key === '$or') {
      const p = `${path}.${key}`;
      if (!Array.isArray(value)) fail(p, 'must be an array of filters');
      if (value.length === 0) fail(p, 'must not be empty');
      const subs = value.map((v, i) => compileNode(v, `${p}[${i}]`, depth + 1, ctx));
      parts.push(subs.length === 1 ? subs[0]! : `(${subs.join(key === '$and' ? ' AND ' : ' OR ')})`);
    } else if (key.startsWith('$')) {
      fail(path, `unknown operator ${key}`);
    } else {
      parts.push(compileField(key, value, childPath(path, key), ctx));
    }
  }
  if (parts.length === 0) return 'TRUE';
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
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

function compileField(key: string, value: unknown, path: string, ctx: Ctx): string {
  const segments = fieldPath(key, path);
  let pathParam: string | undefined;
  // The same path parameter serves every operator on this field.
  const at = (op: '#>' | '#>>' = '#>'): string => `(${ctx.metadata} ${op} ${(pathParam ??= ctx.params.add(segments))}::text[])`;
  const count = (): void => {
    if (++ctx.conditions > FILTER_LIMITS.conditions) fail(path, `a filter holds at most ${FILTER_LIMITS.conditions} conditions`);
  };
  const opKeys = isObject(value) ? Object.keys(value).filter((k) => k.startsWith('$')) : [];
  if (!isObject(value) || opKeys.length === 0) {
    count();
    return equals(segments, value, path, at, ctx);
  }
  if (opKeys.length !== Object.keys(value).length) fail(path, `mixes operators (${opKeys.join(', ')}) with plain keys; compare a whole object with {"$eq": {...}}`);
  const parts: string[] = [];
  for (const op of opKeys) {
    const operand = value[op];
    const p = `${path}.${op}`;
    if (!OPERATORS.has(op)) fail(path, `unknown operator ${op}`);
    count();
    if (op === '$eq') parts.push(equals(segments, operand, p, at, ctx));
    else if (op === '$ne') parts.push(`${at()} IS DISTINCT FROM ${ctx.params.add(json(operand, p))}::jsonb`);
    else if (op === '$in') {
      if (!Array.isArray(operand)) fail(p, 'must be an array');
      if (operand.length === 0) parts.push('FALSE');
      else parts.push(`${at()} = ANY(${ctx.params.add(operand.map((v, i) => json(v, `${p}[${i}]`)))}::jsonb[])`);
    } else parts.push(range(op as keyof typeof RANGE, operand, p, at, ctx));
  }
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
}

/**
 * Exact jsonb equality. When no step could index an array, `metadata @> {"a": {"b": v}}` is added:
 * it is implied by equality and lets the GIN (jsonb_path_ops) index find the candidates.
 */
type At = (op?: '#>' | '#>>') => string;

function equals(segments: string[], value: unknown, path: string, at: At, ctx: Ctx): string {
  const text = json(value, path);
  const exact = `${at()} = ${ctx.params.add(text)}::jsonb`;
  if (segments.some((s) => /^-?\d+$/.test(s))) return exact;
  const contained = segments.reduceRight<unknown>((inner, seg) => ({ [seg]: inner }), value);
  return `(${ctx.metadata} @> ${ctx.params.add(JSON.stringify(contained))}::jsonb AND ${exact})`;
}

function range(op: keyof typeof RANGE, operand: unknown, path: string, at: At, ctx: Ctx): string {
  const sql = RANGE[op];
  if (typeof operand === 'number') {
    const v = ctx.params.add(json(operand, path));
    return `(jsonb_typeof(${at()}) = 'number' AND ${at()} ${sql} ${v}::jsonb)`;
  }
  if (typeof operand === 'string') {
    json(operand, path);
    const v = ctx.params.add(operand);
    return `(jsonb_typeof(${at()}) = 'string' AND ${at('#>>')} COLLATE "C" ${sql} ${v}::text COLLATE "C")`;
  }
  return fail(path, 'compares only with a number or a string');
}

/** The JSON text of a filter value; throws for what JSON or jsonb cannot hold. */
function json(value: unknown, path: string): string {
  checkJson(value, path, 0);
  return JSON.stringify(value);
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
