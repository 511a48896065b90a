import { InvalidArgumentError, LimitExceededError } from '../../errors.js';
import type { Limits } from '../../config.js';
import { packTexts, textAt, type PackedTexts } from '../../text/packed-texts.js';
import { checkDocumentLengths } from './limits.js';

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

/**
 * The texts the model reads, packed, and what each result echoes back. No string of the documents
 * outlives this call on the caller's side: the parsed list is emptied and the texts live in the pack
 * (an async handler's locals stay reachable across its awaits, so the strings must not be one).
 */
export function takeDocuments(input: InputDocument[], rankFields: readonly string[] | undefined, limits: Limits, withEcho: boolean): { documents: PackedTexts; echo: (i: number) => object } {
  const texts = input.map((d, i) => documentText(d, i, rankFields, limits.maxDocumentChars));
  checkDocumentLengths(texts, limits);
  const documents = packTexts(texts);
  const echo = withEcho ? documentEchoes(input, documents) : () => ({});
  releaseParsedDocuments(input);
  return { documents, echo };
}

/** UTF-8 cannot carry a lone surrogate; such a string is echoed from itself, not from the pack (rare, and small). */
const wellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

/** Text `i` as sent: read back from the pack, or kept as it was when UTF-8 would have changed it. */
export function textEchoes(texts: readonly string[], packed: PackedTexts): (i: number) => string {
  const kept = texts.map((t) => (wellFormed(t) ? undefined : t));
  return (i) => kept[i] ?? textAt(packed, i);
}

/** What result `i` echoes back: `{text}` for a string, the caller's own object otherwise. */
export function documentEchoes(docs: readonly InputDocument[], packed: PackedTexts): (i: number) => object {
  const kept = docs.map((d) => (typeof d === 'string' ? (wellFormed(d) ? undefined : { text: d }) : d));
  return (i) => kept[i] ?? { text: textAt(packed, i) };
}

/**
 * Empties the parsed body's list of documents once they are packed. Fastify keeps the body for the
 * request's life, and parsed strings still reachable while the request waits for the model would be
 * copied by every young-generation collection in that time (see text/packed-texts.ts).
 */
export function releaseParsedDocuments(list: unknown[]): void {
  list.length = 0;
}
