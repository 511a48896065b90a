import type { Limits } from '../../config.js';
import { InvalidRequestError, LimitExceededError } from '../../errors.js';

/** The query and the document count: checked before any document is looked at. */
export function checkRerankCounts(query: string, documents: number, limits: Limits): void {
  if (query.trim() === '') throw new InvalidRequestError('query must not be empty.', 'EMPTY_QUERY');
  if (documents === 0) throw new InvalidRequestError('documents must not be empty.', 'EMPTY_DOCUMENTS');
  if (documents > limits.maxDocuments) {
    throw new LimitExceededError(`${documents} documents is over the limit of ${limits.maxDocuments} per request.`, 'TOO_MANY_DOCUMENTS');
  }
  if (query.length > limits.maxDocumentChars) {
    throw new LimitExceededError(`query has ${query.length} characters, over the limit of ${limits.maxDocumentChars}.`, 'DOCUMENT_TOO_LONG');
  }
}

/** Each document's length, before any tokenization work is spent. */
export function checkDocumentLengths(texts: readonly string[], limits: Limits): void {
  texts.forEach((t, i) => {
    if (t.length > limits.maxDocumentChars) {
      throw new LimitExceededError(`documents[${i}] has ${t.length} characters, over the limit of ${limits.maxDocumentChars}.`, 'DOCUMENT_TOO_LONG');
    }
  });
}

/** Checks shared by every request shape, before any tokenization work is spent. */
export function checkRerankInput(query: string, texts: readonly string[], limits: Limits): void {
  checkRerankCounts(query, texts.length, limits);
  checkDocumentLengths(texts, limits);
}
