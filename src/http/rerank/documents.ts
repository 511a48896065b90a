import { InvalidArgumentError, LimitExceededError } from '../../errors.js';

/** A document as the schema admits it: a string, or any JSON object. */
export type InputDocument = string | object;

/**
 * How deep an object document may nest. Documents are echoed back, and the serialiser walks them
 * recursively: past a few thousand levels it overflows the stack. 32 is the store's metadata limit too.
 */
export const MAX_DOCUMENT_DEPTH = 32;

/** Whether `value` nests deeper than `max` levels of objects and arrays; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, depth] = top;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** A property of the object itself, never an inherited one (`constructor`, `toString`, `__proto__`). */
function ownField(doc: object, field: string): unknown {
  const value: unknown = Object.getOwnPropertyDescriptor(doc, field)?.value;
  return value;
}

function fieldText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The text the model reads for one document: a string as is; an object's `text`, or the fields
 * named by rank_fields as `field: value` lines (Cohere's convention for structured documents).
 * Only the object's own properties are fields (`constructor` or `toString` are not), and the join
 * stops as soon as it passes `maxChars`, so a small body cannot make the main thread build large
 * strings. A string or `text` comes back as sent; its length is the caller's to check.
 */
export function documentText(doc: InputDocument, index: number, rankFields: readonly string[] | undefined, maxChars: number): string {
  if (typeof doc === 'string') return doc;
  if (nestsDeeperThan(doc, MAX_DOCUMENT_DEPTH)) throw new InvalidArgumentError(`documents[${index}] nests deeper than ${MAX_DOCUMENT_DEPTH} levels.`);
  if (rankFields !== undefined && rankFields.length > 0) {
    const lines: string[] = [];
    let chars = 0;
    for (const field of rankFields) {
      const value = ownField(doc, field);
      if (value === undefined || value === null) continue;
      const line = `${field}: ${fieldText(value)}`;
      chars += line.length + (lines.length > 0 ? 1 : 0);
      if (chars > maxChars) {
        throw new LimitExceededError(`documents[${index}] has more than ${maxChars} characters once its rank_fields are joined, over the limit.`, 'DOCUMENT_TOO_LONG');
      }
      lines.push(line);
    }
    if (lines.length === 0) {
      throw new InvalidArgumentError(`documents[${index}] has none of the rank_fields (${rankFields.join(', ')}).`);
    }
    return lines.join('\n');
  }
  const text = ownField(doc, 'text');
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(`documents[${index}] is an object without a string "text" field; send rank_fields to rank on other fields.`);
  }
  return text;
}

/** What a result echoes back: `{text}` for strings, the caller's own object otherwise. */
export function echoDocument(doc: InputDocument): object {
  return typeof doc === 'string' ? { text: doc } : doc;
}
