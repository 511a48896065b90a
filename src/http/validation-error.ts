import { InvalidArgumentError, InvalidRequestError, type RerankerError } from '../errors.js';

/** What Ajv reports per failed keyword (the part of it the message is built from). */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  message?: string;
}

/**
 * For a route whose body is a union of API shapes: the index, in the schema's anyOf, of the shape
 * the client meant. Ajv reports the failures of every branch; only the meant one's help the client.
 */
export type UnionBranch = (body: unknown) => number;

/** Range and enum failures are well-formed requests asking for something impossible: 422, not 400. */
const SEMANTIC_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'enum', 'const', 'multipleOf']);

function describe(issue: ValidationIssue): string {
  const where = issue.instancePath === '' ? 'body' : `body${issue.instancePath.replaceAll('/', '.')}`;
  return `${where} ${issue.message ?? 'is invalid'}`;
}

function relevantIssues(issues: ValidationIssue[], body: unknown, branchOf: UnionBranch | undefined): ValidationIssue[] {
  if (branchOf !== undefined) {
    const branch = `#/anyOf/${branchOf(body)}/`;
    const mine = issues.filter((i) => i.schemaPath.startsWith(branch));
    if (mine.length > 0) return mine;
  }
  return issues.filter((i) => i.keyword !== 'anyOf');
}

/** A schema failure as one of our errors: the first three relevant issues, 422 when all are semantic. */
export function fromValidation(issues: ValidationIssue[], body: unknown, branchOf?: UnionBranch): RerankerError {
  const relevant = relevantIssues(issues, body, branchOf);
  const chosen = relevant.length > 0 ? relevant : issues;
  const message = chosen.slice(0, 3).map(describe).join('; ');
  return chosen.every((i) => SEMANTIC_KEYWORDS.has(i.keyword)) ? new InvalidArgumentError(message) : new InvalidRequestError(message);
}
