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

/** A JSON value that passed the filter's checks (finite numbers, no NUL, no lone surrogate, bounded depth). */
export type FilterValue = unknown;

export type RangeOperator = '$gt' | '$gte' | '$lt' | '$lte';

/**
 * One condition on a field. Conditions keep the order the request wrote them in, so a backend that
 * numbers parameters numbers them the same way every time.
 */
export type FieldTest =
  | { readonly op: '$eq'; readonly value: FilterValue }
  | { readonly op: '$ne'; readonly value: FilterValue }
  /** An empty list matches nothing. */
  | { readonly op: '$in'; readonly values: readonly FilterValue[] }
  | { readonly op: RangeOperator; readonly value: number | string };

/**
 * A filter after parsing: nothing in it can fail any more, and nothing in it is SQL. `and` with no
 * members is true (the filter {}); `and` and `or` from $and/$or always have members.
 */
export type FilterNode =
  | { readonly kind: 'and'; readonly of: readonly FilterNode[] }
  | { readonly kind: 'or'; readonly of: readonly FilterNode[] }
  /** `path` is the field split on unescaped dots; every test holds (at least one). */
  | { readonly kind: 'field'; readonly path: readonly string[]; readonly tests: readonly FieldTest[] };

/**
 * A request's filter parsed and checked once (filter-parse.ts). A class, so a pipeline can tell a
 * filter already parsed from a raw one and never parses or checks the same filter twice.
 */
export class ParsedFilter {
  constructor(
    readonly root: FilterNode,
    /** Conditions in the whole filter (at most FILTER_LIMITS.conditions). */
    readonly conditions: number,
  ) {}
}
