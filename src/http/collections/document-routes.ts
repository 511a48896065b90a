import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import type { Service } from '../../service.js';
import { parseFilter, type ParsedFilter } from '../../store/index.js';
import { AnyErrorBody } from '../error-schemas.js';
import { CountRequest, CountResponse, MAX_SCROLL_LIMIT, DeleteByFilterRequest, GetDocumentsRequest, GetDocumentsResponse, PatchDocumentRequest, ScrollQuery, ScrollResponse } from './document-schemas.js';
import { CollectionParams, DeleteDocumentsResponse, DocumentParams, idText, StoredDocumentResponse } from './schemas.js';

const errors = { '4xx': AnyErrorBody, '5xx': AnyErrorBody };
const tags = ['collections'];

/** A scroll position, opaque to clients: the last id of the page, base64url (ids may hold any character). */
const cursorOf = (lastId: string): string => Buffer.from(lastId, 'utf8').toString('base64url');
function afterOf(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (id.length === 0 || cursorOf(id) !== cursor) throw new InvalidArgumentError('cursor is not one this service gave out; pass next_cursor as it came.');
  return id;
}

function limitOf(text: string | undefined): number {
  if (text === undefined) return 100;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_SCROLL_LIMIT) throw new InvalidArgumentError(`query.limit must be a whole number from 1 to ${MAX_SCROLL_LIMIT}, got ${JSON.stringify(text)}.`);
  return n;
}

/** The query string's filter: JSON text, parsed here into the filter AST once (INVALID_FILTER); the store takes it as parsed. */
function filterOf(text: string | undefined): ParsedFilter | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('filter must be a JSON object (URL-encoded), as /search takes it.', 'INVALID_FILTER');
  }
  return parseFilter(value);
}

/**
 * What Qdrant and Weaviate users reach for beside search (issue 24): scroll a collection by id with
 * a filter, read many ids, count, delete by filter, change metadata without re-embedding. Registered
 * inside the collections family, so its error handler answers for these too.
 */
export function documentRoutes(fastify: FastifyInstance, service: Service, signalOf: (req: FastifyRequest, reply: FastifyReply) => AbortSignal): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/collections/:name/documents',
    { schema: { summary: 'Scroll documents by id, with an optional metadata filter; each document once, whatever is written meanwhile', tags, params: CollectionParams, querystring: ScrollQuery, response: { 200: ScrollResponse, ...errors } } },
    async (req, reply) => {
      const { store } = service.documents();
      const limit = limitOf(req.query.limit);
      const documents = await store.scroll(req.params.name, { limit, after: afterOf(req.query.cursor), filter: filterOf(req.query.filter) }, { signal: signalOf(req, reply) });
      const last = documents.at(-1);
      return { documents, next_cursor: documents.length === limit && last !== undefined ? cursorOf(last.id) : null };
    },
  );

  app.post(
    '/collections/:name/documents/get',
    { schema: { summary: 'Several documents by id', tags, params: CollectionParams, body: GetDocumentsRequest, response: { 200: GetDocumentsResponse, ...errors } } },
    async (req, reply) => {
      const { store } = service.documents();
      const ids = req.body.ids.map(idText);
      const documents = await store.getDocuments(req.params.name, ids, { signal: signalOf(req, reply) });
      const found = new Set(documents.map((d) => d.id));
      return { documents, missing: [...new Set(ids)].filter((docId) => !found.has(docId)) };
    },
  );

  app.post(
    '/collections/:name/count',
    {
      schema: { summary: 'How many documents match a metadata filter (all without one)', tags, params: CollectionParams, body: CountRequest, response: { 200: CountResponse, ...errors } },
      // No body at all counts every document.
      preValidation: async (req) => {
        req.body ??= {};
      },
    },
    async (req, reply) => {
      const { store } = service.documents();
      const { filter } = req.body;
      const count = await store.countMatching(req.params.name, filter === undefined ? undefined : parseFilter(filter), { signal: signalOf(req, reply) });
      return { count };
    },
  );

  app.post(
    '/collections/:name/documents/delete',
    { config: { access: 'admin' }, schema: { summary: 'Delete the documents whose metadata matches a filter', tags, params: CollectionParams, body: DeleteByFilterRequest, response: { 200: DeleteDocumentsResponse, ...errors } } },
    async (req, reply) => {
      const { store } = service.documents();
      return { deleted: await store.deleteMatching(req.params.name, parseFilter(req.body.filter), { signal: signalOf(req, reply) }) };
    },
  );

  app.patch(
    '/collections/:name/documents/:id',
    { config: { access: 'admin' }, schema: { summary: "Change a document's metadata (merged, or replaced), without embedding it again", tags, params: DocumentParams, body: PatchDocumentRequest, response: { 200: StoredDocumentResponse, ...errors } } },
    async (req, reply) => {
      const { store } = service.documents();
      const { name, id } = req.params;
      const doc = await store.updateMetadata(name, id, req.body.metadata, req.body.mode ?? 'merge', { signal: signalOf(req, reply) });
      if (doc === undefined) throw new NotFoundError(`Collection ${name} has no document ${JSON.stringify(id)}.`, 'DOCUMENT_NOT_FOUND');
      return doc;
    },
  );
}
