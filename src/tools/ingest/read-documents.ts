import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

/** A document as a file holds it, mapped to the collection's fields. */
export interface FileDocument {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  /** A ready embedding from the record (--vector-field): the service stores it instead of embedding the text. */
  vector?: number[];
}

export interface FieldMap {
  idField: string;
  textField: string;
  /** Field holding a ready vector (a JSON array of numbers, or its text in a CSV cell); undefined: embed the text. */
  vectorField?: string | undefined;
}

/** What is wrong with one record of the file, with where it is. */
export class RecordError extends Error {
  constructor(
    readonly record: number,
    message: string,
  ) {
    super(`record ${record}: ${message}`);
    this.name = 'RecordError';
  }
}

/** The record's id and text by the field map; every other field becomes metadata. */
function toDocument(record: Record<string, unknown>, n: number, fields: FieldMap): FileDocument {
  const id = record[fields.idField];
  const text = record[fields.textField];
  if (typeof id !== 'string' && typeof id !== 'number') throw new RecordError(n, `no "${fields.idField}" field (pass --id-field)`);
  if (typeof text !== 'string') throw new RecordError(n, `no string "${fields.textField}" field (pass --text-field)`);
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (k !== fields.idField && k !== fields.textField && k !== fields.vectorField) metadata[k] = v;
  if (fields.vectorField === undefined) return { id: String(id), text, metadata };
  return { id: String(id), text, metadata, vector: vectorOf(record[fields.vectorField], n, fields.vectorField) };
}

/** A record's ready vector: an array of finite numbers (a CSV cell holds it as JSON text). */
function vectorOf(value: unknown, n: number, field: string): number[] {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw new RecordError(n, `"${field}" is not a JSON array of numbers`);
    }
  }
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new RecordError(n, `no "${field}" array of finite numbers (--vector-field)`);
  return v as number[];
}

async function* jsonl(path: string, fields: FieldMap): AsyncGenerator<FileDocument> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new RecordError(n, `not valid JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError(n, 'not a JSON object');
    yield toDocument(value as Record<string, unknown>, n, fields);
  }
}

async function* csv(path: string, fields: FieldMap): AsyncGenerator<FileDocument> {
  let n = 0;
  // The header row names the fields; quoted fields may hold commas and newlines (RFC 4180).
  for await (const record of createReadStream(path).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: false }))) {
    n++;
    yield toDocument(record as Record<string, unknown>, n, fields);
  }
}

/** Documents of a .jsonl (one JSON object a line) or .csv (a header row) file, streamed. */
export function readDocuments(path: string, fields: FieldMap): AsyncGenerator<FileDocument> {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return jsonl(path, fields);
  if (ext === '.csv') return csv(path, fields);
  throw new Error(`${path}: only .jsonl (or .ndjson) and .csv files can be ingested`);
}

/** Records in the file, for the progress bar's total; a quick pass that parses nothing. */
export async function countRecords(path: string): Promise<number> {
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) if (line.trim() !== '') lines++;
  // A CSV's header is not a record (and a quoted field spanning lines makes this an estimate).
  return extname(path).toLowerCase() === '.csv' ? Math.max(0, lines - 1) : lines;
}
