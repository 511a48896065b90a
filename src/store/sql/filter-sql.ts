import type { FieldTest, FilterNode, ParsedFilter } from '../filter-ast.js';
import { SqlParams } from './sql-params.js';

/**
 * A filter compiled once for one relation: a boolean SQL expression whose placeholders are $1..$n,
 * with their values. A statement that uses it starts its own parameters after these
 * (SqlParams.after), so the legs of one search share one compilation.
 */
export interface CompiledFilter {
  readonly sql: string;
  readonly values: readonly unknown[];
}

const RANGE_SQL = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;

/** The filter {} (or none): matches every row, with no parameters. */
export const MATCH_ALL: CompiledFilter = { sql: 'TRUE', values: [] };

/**
 * Compiles a parsed filter into a boolean SQL expression over the jsonb expression `metadata`;
 * every field name and value becomes a parameter, so nothing of the request reaches the SQL text.
 * Parsing checked everything already: nothing here throws.
 */
export function compileFilter(filter: ParsedFilter, metadata: string): CompiledFilter {
  const params = new SqlParams();
  return { sql: compileNode(filter.root, metadata, params), values: params.values };
}

/** Zero parts match everything, one part stands alone, more are parenthesised. */
function join(parts: readonly string[], op: ' AND ' | ' OR '): string {
  if (parts.length === 0) return 'TRUE';
  return parts.length === 1 ? parts[0]! : `(${parts.join(op)})`;
}

function compileNode(node: FilterNode, metadata: string, params: SqlParams): string {
  if (node.kind === 'field') return compileField(node.path, node.tests, metadata, params);
  return join(node.of.map((n) => compileNode(n, metadata, params)), node.kind === 'and' ? ' AND ' : ' OR ');
}

type At = (op?: '#>' | '#>>') => string;

function compileField(segments: readonly string[], tests: readonly FieldTest[], metadata: string, params: SqlParams): string {
  let pathParam: string | undefined;
  // The same path parameter serves every operator on this field; added at its first use.
  const at: At = (op = '#>') => `(${metadata} ${op} ${(pathParam ??= params.add(segments))}::text[])`;
  return join(
    tests.map((test) => {
      switch (test.op) {
        case '$eq':
          return equals(segments, test.value, metadata, at, params);
        case '$ne':
          return `${at()} IS DISTINCT FROM ${params.add(JSON.stringify(test.value))}::jsonb`;
        case '$in':
          if (test.values.length === 0) return 'FALSE';
          return `${at()} = ANY(${params.add(test.values.map((v) => JSON.stringify(v)))}::jsonb[])`;
        default:
          return range(RANGE_SQL[test.op], test.value, at, params);
      }
    }),
    ' AND ',
  );
}

/**
 * Exact jsonb equality. When no step could index an array, `metadata @> {"a": {"b": v}}` is added:
 * it is implied by equality and lets the GIN (jsonb_path_ops) index find the candidates.
 */
function equals(segments: readonly string[], value: unknown, metadata: string, at: At, params: SqlParams): string {
  const exact = `${at()} = ${params.add(JSON.stringify(value))}::jsonb`;
  if (segments.some((s) => /^-?\d+$/.test(s))) return exact;
  const contained = segments.reduceRight<unknown>((inner, seg) => ({ [seg]: inner }), value);
  return `(${metadata} @> ${params.add(JSON.stringify(contained))}::jsonb AND ${exact})`;
}

/** Only values of the operand's JSON type compare; strings by code point. */
function range(sql: string, operand: number | string, at: At, params: SqlParams): string {
  if (typeof operand === 'number') {
    const v = params.add(JSON.stringify(operand));
    return `(jsonb_typeof(${at()}) = 'number' AND ${at()} ${sql} ${v}::jsonb)`;
  }
  const v = params.add(operand);
  return `(jsonb_typeof(${at()}) = 'string' AND ${at('#>>')} COLLATE "C" ${sql} ${v}::text COLLATE "C")`;
}
