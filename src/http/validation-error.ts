import { InvalidArgumentError, InvalidRequestError, type RerankerError } from '../errors.js';

/** What Ajv reports per failed keyword (the part of it the message is built from). */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * For a route whose body is a union of API shapes: the index, in the schema's anyOf, of the shape
 * the client meant. Ajv reports the failures of every branch; only the meant one's help the client.
 */
export type UnionBranch = (body: unknown) => number;

/**
 * Range and enum failures, and properties the API does not have, are well-formed requests asking
 * for something impossible or misspelt: 422, not 400.
 */
const SEMANTIC_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'enum', 'const', 'multipleOf', 'additionalProperties', 'minProperties']);

/** Fastify's name for the part of the request that failed, as a client reads it in a message. */
const PART_NAMES: Record<string, string> = { body: 'body', params: 'path', querystring: 'query', headers: 'headers' };

const list = (values: unknown): string => (Array.isArray(values) ? values : [values]).map((v) => JSON.stringify(v)).join(', ');

function describe(issue: ValidationIssue, part: string): string {
  const where = `${part}${issue.instancePath.replaceAll('/', '.')}`;
  switch (issue.keyword) {
    case 'additionalProperties':
      return `${where} has an unknown property ${JSON.stringify(issue.params?.['additionalProperty'])}`;
    case 'enum':
      return `${where} must be one of ${list(issue.params?.['allowedValues'])}`;
    case 'const':
      return `${where} must be ${list(issue.params?.['allowedValue'])}`;
    default:
      return `${where} ${issue.message ?? 'is invalid'}`;
  }
}

/**
 * TypeBox writes a union of literals as anyOf of consts, and Ajv reports one `must be equal to
 * constant` per literal without saying which: such a run becomes one enum issue that lists them.
 */
function mergeLiteralUnions(issues: readonly ValidationIssue[]): ValidationIssue[] {
  const merged: ValidationIssue[] = [];
  const unions = new Map<string, ValidationIssue & { params: { allowedValues: unknown[] } }>();
  for (const issue of issues) {
    const union = issue.keyword === 'const' ? /^(.*)\/anyOf\/\d+\/const$/.exec(issue.schemaPath)?.[1] : undefined;
    if (union === undefined) {
      merged.push(issue);
      continue;
    }
    const key = `${issue.instancePath} ${union}`;
    const seen = unions.get(key);
    if (seen !== undefined) {
      seen.params.allowedValues.push(issue.params?.['allowedValue']);
      continue;
    }
    const first = { keyword: 'enum', instancePath: issue.instancePath, schemaPath: union, params: { allowedValues: [issue.params?.['allowedValue']] } };
    unions.set(key, first);
    merged.push(first);
  }
  return merged;
}

function relevantIssues(issues: ValidationIssue[], body: unknown, branchOf: UnionBranch | undefined): ValidationIssue[] {
  if (branchOf !== undefined) {
    const branch = `#/anyOf/${branchOf(body)}/`;
    const mine = issues.filter((i) => i.schemaPath.startsWith(branch));
    if (mine.length > 0) return mine;
  }
  return issues.filter((i) => i.keyword !== 'anyOf');
}

/**
 * A schema failure as one of our errors: the first three relevant issues, 422 when all are semantic.
 * `part` is Fastify's validation context (body, params, querystring), named as a client knows it.
 */
export function fromValidation(issues: ValidationIssue[], body: unknown, branchOf?: UnionBranch, part = 'body'): RerankerError {
  const relevant = relevantIssues(issues, body, branchOf);
  const chosen = mergeLiteralUnions(relevant.length > 0 ? relevant : issues);
  const message = chosen
    .slice(0, 3)
    .map((issue) => describe(issue, PART_NAMES[part] ?? part))
    .join('; ');
  return chosen.every((i) => SEMANTIC_KEYWORDS.has(i.keyword)) ? new InvalidArgumentError(message) : new InvalidRequestError(message);
}
