import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Compile } from 'typebox/compile';
import type { Config } from '../../config.js';
import { InvalidArgumentError, NotFoundError, RerankerError, withMessagePrefix } from '../../errors.js';
import type { IngestDocument, IngestResult } from '../../pipelines/ingest-pipeline.js';
import type { Service } from '../../service.js';
import type { Collection, DocumentStore } from '../../store/index.js';
import { ndjsonLines } from './ndjson.js';
import { documentRoutes } from './document-routes.js';
import { snapshotRoutes } from './snapshot-routes.js';
import { commonShape, useErrorShape } from '../error-reply.js';
import { requestSignal } from '../request-signal.js';
import { AnyErrorBody } from '../error-schemas.js';
import {
  CollectionList,
  CollectionParams,
  CollectionResponse,
  DeleteCollectionResponse,
  DeleteDocumentsRequest,
  DeleteDocumentsResponse,
  DocumentParams,
  idText,
  PutCollectionRequest,
  StoredDocumentResponse,
  UpsertDocument,
  UpsertRequest,
  UpsertResponse,
} from './schemas.js';

export interface CollectionsRoutesOptions {
  service: Service;
  config: Config;
}

const errors = { '4xx': AnyErrorBody, '5xx': AnyErrorBody };
const tags = ['collections'];
/** Documents embedded and committed together when an NDJSON body streams in. */
const NDJSON_BATCH = 256;
const checkDocument = Compile(UpsertDocument);
/** Bulk loads: one document a line, streamed, any total size (transport.ts lets its Content-Length through). */
const NDJSON = 'application/x-ndjson';

async function describe(store: DocumentStore, c: Collection, signal: AbortSignal) {
  return { ...c, lexical_ranking: c.bm25 === null ? ('ts_rank_cd' as const) : ('bm25' as const), documents: await store.count(c.name, { signal }) };
}

/** Collections of the first stage: create, list, inspect, drop; write, read and delete their documents. */
export async function collectionsRoutes(fastify: FastifyInstance, { service, config }: CollectionsRoutesOptions): Promise<void> {
  useErrorShape(fastify, { metrics: service.metrics, shape: commonShape });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Bulk loads arrive as a stream that the handler reads from the request itself (ndjsonLines bounds
  // each line, not the body); the schema then sees an empty JSON batch and lets it through.
  app.addContentTypeParser(NDJSON, (_req, _payload, done) => done(null, { documents: [] }));
  const signalOf = (req: FastifyRequest, reply: FastifyReply): AbortSignal => requestSignal(req, reply, config.engine.requestTimeoutMs);

  app.put(
    '/collections/:name',
    {
      config: { access: 'admin' },
      schema: { summary: 'Create a collection (idempotent when the settings match), or attach an existing table read-only', tags, params: CollectionParams, body: PutCollectionRequest, response: { 200: CollectionResponse, ...errors } },
      // Every setting has a default, so `PUT /collections/docs` with no body at all creates one.
      preValidation: async (req) => {
        req.body ??= {};
      },
    },
    async (req, reply) => {
      const { store } = service.documents();
      const { name } = req.params;
      const { body } = req;
      const signal = signalOf(req, reply);
      const embedder = service.ready().embedder;
      const dimensions = body.dimensions ?? embedder?.dimensions;
      if (dimensions === undefined) {
        throw new InvalidArgumentError('dimensions is required while no embedding model is loaded (its vectors would set it).');
      }
      const collection = await store.createCollection(
        {
          name,
          dimensions,
          ...(body.distance === undefined ? {} : { distance: body.distance }),
          ...(body.vector_type === undefined ? {} : { vector_type: body.vector_type }),
          ...(body.language === undefined ? {} : { language: body.language }),
          ...(body.hnsw === undefined ? {} : { hnsw: body.hnsw }),
          ...(body.bm25 === undefined ? {} : { bm25: body.bm25 }),
          chunking: body.chunking === undefined ? null : { max_tokens: body.chunking.max_tokens, overlap: body.chunking.overlap ?? 0 },
          source: body.source ?? null,
          // A collection of vectors another model made (other dimensions) names no model of ours.
          embedding_model: embedder !== undefined && embedder.dimensions === dimensions ? embedder.model.servedName : '',
        },
        { signal },
      );
      return describe(store, collection, signal);
    },
  );

  app.get('/collections', { schema: { summary: 'List collections', tags, response: { 200: CollectionList, ...errors } } }, async (req, reply) => {
    const { store } = service.documents();
    const signal = signalOf(req, reply);
    const all = await store.listCollections({ signal });
    return { collections: await Promise.all(all.map((c) => describe(store, c, signal))) };
  });

  app.get('/collections/:name', { schema: { summary: 'A collection and its document count', tags, params: CollectionParams, response: { 200: CollectionResponse, ...errors } } }, async (req, reply) => {
    const { store } = service.documents();
    const signal = signalOf(req, reply);
    return describe(store, await store.getCollection(req.params.name, { signal }), signal);
  });

  app.delete(
    '/collections/:name',
    { config: { access: 'admin' }, schema: { summary: 'Drop a collection (an attached table is only forgotten, never dropped)', tags, params: CollectionParams, response: { 200: DeleteCollectionResponse, ...errors } } },
    async (req, reply) => {
      const { store } = service.documents();
      const { name } = req.params;
      await store.dropCollection(name, { signal: signalOf(req, reply) });
      return { name, deleted: true };
    },
  );

  app.post(
    '/collections/:name/documents',
    {
      config: { access: 'admin', streamsBody: NDJSON },
      schema: {
        summary: 'Upsert documents by id (JSON, or application/x-ndjson streamed in batches); answers once every row is committed',
        tags,
        params: CollectionParams,
        body: UpsertRequest,
        response: { 200: UpsertResponse, ...errors },
      },
    },
    async (req, reply) => {
      const { store, ingest } = service.documents();
      const { name } = req.params;
      const signal = signalOf(req, reply);
      const collection = await store.getCollection(name, { signal });
      const total: IngestResult = { upserted: 0, embeddingTokens: 0, embeddedTexts: 0, chunks: 0 };
      const add = (r: IngestResult): void => {
        total.upserted += r.upserted;
        total.embeddingTokens += r.embeddingTokens;
        total.embeddedTexts += r.embeddedTexts;
        total.chunks += r.chunks;
      };
      if (isNdjson(req)) {
        let batch: IngestDocument[] = [];
        try {
          for await (const { line, value } of ndjsonLines(req.raw, maxLineBytes(config))) {
            if (!checkDocument.Check(value)) throw new InvalidArgumentError(`line ${line}: ${firstError(checkDocument.Errors(value))}`);
            batch.push({ ...value, id: idText(value.id) });
            if (batch.length === NDJSON_BATCH) {
              add(await ingest.upsert(collection, batch, signal, true));
              batch = [];
            }
          }
          if (batch.length > 0) add(await ingest.upsert(collection, batch, signal, true));
          await ingest.finish(collection, signal);
        } catch (err) {
          // Batches before the failure are committed; say how many, so a client can resume.
          if (err instanceof RerankerError && total.upserted > 0) throw withMessagePrefix(err, `after ${total.upserted} documents were upserted: `);
          throw err;
        }
      } else {
        add(await ingest.upsert(collection, req.body.documents.map((d) => ({ ...d, id: idText(d.id) })), signal));
      }
      return { upserted: total.upserted, usage: { embedding_tokens: total.embeddingTokens, embedded_texts: total.embeddedTexts, chunks: total.chunks } };
    },
  );

  app.delete(
    '/collections/:name/documents',
    { config: { access: 'admin' }, schema: { summary: 'Delete documents by id (every chunk of each)', tags, params: CollectionParams, body: DeleteDocumentsRequest, response: { 200: DeleteDocumentsResponse, ...errors } } },
    async (req, reply) => {
      const { store } = service.documents();
      const deleted = await store.deleteDocuments(req.params.name, req.body.ids.map(idText), { signal: signalOf(req, reply) });
      return { deleted };
    },
  );

  app.get('/collections/:name/documents/:id', { schema: { summary: 'One document: its whole text and metadata', tags, params: DocumentParams, response: { 200: StoredDocumentResponse, ...errors } } }, async (req, reply) => {
    const { store } = service.documents();
    const { name, id } = req.params;
    const doc = await store.getDocument(name, id, { signal: signalOf(req, reply) });
    if (doc === undefined) throw new NotFoundError(`Collection ${name} has no document ${JSON.stringify(id)}.`, 'DOCUMENT_NOT_FOUND');
    return { id: doc.id, text: doc.text, metadata: doc.metadata };
  });

  documentRoutes(fastify, service, signalOf);
  snapshotRoutes(fastify, service, config, signalOf);
}

function isNdjson(req: FastifyRequest): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() === NDJSON;
}

/** One NDJSON line holds one document: its text at the character limit, in UTF-8, plus metadata. */
function maxLineBytes(config: Config): number {
  return config.limits.maxDocumentChars * 4 + 1024 * 1024;
}

function firstError(errors: readonly { instancePath?: string; message?: string }[]): string {
  const e = errors[0];
  if (e === undefined) return 'the document is invalid';
  const where = e.instancePath === undefined || e.instancePath === '' ? 'body' : `body${e.instancePath.replaceAll('/', '.')}`;
  return `${where} ${e.message ?? 'is invalid'}`;
}

