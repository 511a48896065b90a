/**
 * The filter language evaluated in plain JavaScript, written from its documentation and not from
 * the SQL compiler, as the reference the stores' filtered searches are checked against.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function steps(field: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < field.length; i++) {
    if (field[i] === '\\') cur += field[++i];
    else if (field[i] === '.') {
      out.push(cur);
      cur = '';
    } else cur += field[i];
  }
  out.push(cur);
  return out;
}

function lookup(meta: Json, field: string): Json | undefined {
  let cur: Json | undefined = meta;
  for (const step of steps(field)) {
    if (Array.isArray(cur)) cur = /^\d+$/.test(step) ? cur[Number(step)] : undefined;
    else if (cur !== null && typeof cur === 'object') cur = Object.hasOwn(cur, step) ? cur[step] : undefined;
    else return undefined;
  }
  return cur;
}

function equal(a: Json | undefined, b: Json): boolean {
  if (a === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]!));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]!));
  }
  return a === b;
}

/** Strings by code point, as COLLATE "C" compares UTF-8 bytes. */
function compare(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const ca = [...(a as string)].map((c) => c.codePointAt(0)!);
  const cb = [...(b as string)].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
  return ca.length - cb.length;
}

function operator(op: string, value: Json | undefined, operand: Json): boolean {
  switch (op) {
    case '$eq':
      return equal(value, operand);
    case '$ne':
      return !equal(value, operand);
    case '$in':
      return (operand as Json[]).some((o) => equal(value, o));
    default: {
      if (value === undefined || typeof value !== typeof operand || (typeof value !== 'number' && typeof value !== 'string')) return false;
      const c = compare(value, operand as number | string);
      return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
    }
  }
}

export function matches(filter: Record<string, unknown>, meta: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    if (key === '$and') return (cond as Record<string, unknown>[]).every((f) => matches(f, meta));
    if (key === '$or') return (cond as Record<string, unknown>[]).some((f) => matches(f, meta));
    const value = lookup(meta as Json, key);
    const isOps = cond !== null && typeof cond === 'object' && !Array.isArray(cond) && Object.keys(cond).length > 0 && Object.keys(cond).every((k) => k.startsWith('$'));
    if (!isOps) return equal(value, cond as Json);
    return Object.entries(cond as Record<string, Json>).every(([op, operand]) => operator(op, value, operand));
  });
}
