import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { InvalidRequestError } from '../../errors.js';
import { exportSnapshot } from '../../pipelines/snapshot-export.js';
import { importSnapshot } from '../../pipelines/snapshot-import.js';
import type { Service } from '../../service.js';
import { AnyErrorBody } from '../error-schemas.js';
import { ndjsonLines } from './ndjson.js';
import { CollectionParams } from './schemas.js';

const errors = { '4xx': AnyErrorBody, '5xx': AnyErrorBody };
const tags = ['collections'];
export const SNAPSHOT_MEDIA_TYPE = 'application/x-ndjson';

/** A stream on the wire; described as text for the OpenAPI document. */
const SnapshotStream = Type.Unsafe<Readable>({ type: 'string', description: 'NDJSON: {"type":"collection",...}, then {"type":"document","id","text","metadata","chunks":[{"text","embedding"}]} per document by id, then {"type":"end","documents":N}.' });
const ImportResponse = Type.Object({ collection: Type.String(), documents: Type.Integer({ description: 'Documents imported.' }) }, { title: 'ImportResponse' });

/** One snapshot line holds a whole document: its text, its chunks' texts (overlapping) and their embeddings. */
export function snapshotLineBytes(config: Config): number {
  return config.limits.maxDocumentChars * 12 + 16 * 2 ** 20;
}

/**
 * Snapshots over HTTP (issue 23): a collection streamed out as NDJSON (settings, documents with
 * their chunks and embeddings, an end line), and such a stream read into a new or empty collection.
 * The CLI's `reranker export` and `reranker import` write and read the same lines.
 */
export function snapshotRoutes(fastify: FastifyInstance, service: Service, config: Config, signalOf: (req: FastifyRequest, reply: FastifyReply) => AbortSignal): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/collections/:name/export',
    { schema: { summary: 'The collection as an NDJSON snapshot (settings, every document with its chunks and embeddings, an end line), streamed', tags, params: CollectionParams, response: { 200: SnapshotStream, ...errors } } },
    async (req, reply) => {
      const { store } = service.documents();
      const signal = signalOf(req, reply);
      // Asked first, so an unknown collection is a 404 rather than a stream that breaks off.
      const collection = await store.getCollection(req.params.name, { signal });
      reply.type(SNAPSHOT_MEDIA_TYPE).header('content-disposition', `attachment; filename="${encodeURIComponent(collection.name)}.ndjson"`);
      // A client that hangs up destroys the stream, which ends the generator and its scroll.
      return reply.send(Readable.from(exportSnapshot(store, collection, signal)));
    },
  );

  app.post(
    '/collections/:name/import',
    {
      config: { access: 'admin', streamsBody: SNAPSHOT_MEDIA_TYPE },
      schema: {
        summary: 'Reads an NDJSON snapshot (as GET .../export writes it; Content-Type application/x-ndjson) into this new or empty collection, with the snapshot\'s settings',
        tags,
        params: CollectionParams,
        response: { 200: ImportResponse, ...errors },
      },
    },
    async (req, reply) => {
      if ((req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() !== SNAPSHOT_MEDIA_TYPE) throw new InvalidRequestError(`send the snapshot as ${SNAPSHOT_MEDIA_TYPE}.`);
      const { store } = service.documents();
      const result = await importSnapshot(store, ndjsonLines(req.raw, snapshotLineBytes(config)), { name: req.params.name, signal: signalOf(req, reply) });
      return { collection: result.collection.name, documents: result.documents };
    },
  );
}
