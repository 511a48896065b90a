import { InvalidArgumentError } from '../errors.js';

export type InputDocument = string | Record<string, unknown>;

function fieldText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The text the model reads for one document: a string as is; an object's `text`, or the fields
 * named by rank_fields as `field: value` lines (Cohere's convention for structured documents).
 */
export function documentText(doc: InputDocument, index: number, rankFields: readonly string[] | undefined): string {
  if (typeof doc === 'string') return doc;
  if (rankFields !== undefined && rankFields.length > 0) {
    const lines: string[] = [];
    for (const field of rankFields) {
      if (doc[field] !== undefined && doc[field] !== null) lines.push(`${field}: ${fieldText(doc[field])}`);
    }
    if (lines.length === 0) {
      throw new InvalidArgumentError(`documents[${index}] has none of the rank_fields (${rankFields.join(', ')}).`);
    }
    return lines.join('\n');
  }
  const text = doc['text'];
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(`documents[${index}] is an object without a string "text" field; send rank_fields to rank on other fields.`);
  }
  return text;
}

/** What a result echoes back: `{text}` for strings, the caller's own object otherwise. */
export function echoDocument(doc: InputDocument): Record<string, unknown> {
  return typeof doc === 'string' ? { text: doc } : doc;
}
