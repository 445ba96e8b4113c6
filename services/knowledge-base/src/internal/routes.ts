/**
 * Routes for service identities (the ingestion worker): what a document is and how its
 * KB wants it processed, its original bytes, and the extracted text to keep for the viewer.
 */
import { DocumentFormatSchema, DocumentStatusSchema } from '@lumikb/contracts';
import { errorResponses, type ServiceApp } from '@lumikb/service-kit';
import { Type } from 'typebox';
import type { KbContext } from '../context.ts';
import { findDocument, saveContent } from '../documents/repository.ts';
import { errors } from '../errors.ts';
import { effectiveConfig } from '../knowledge-bases/config.ts';
import { findKb } from '../knowledge-bases/repository.ts';
import type { ConfigOverrides } from '../knowledge-bases/schemas.ts';
import { findModel } from '../models/repository.ts';
import { toLlmModel } from '../models/service.ts';

const tags = ['internal'];
const Params = Type.Object({ docId: Type.String({ format: 'uuid' }) });

export const ProcessingJobSchema = Type.Object({
  document: Type.Object({
    id: Type.String({ format: 'uuid' }),
    kb_id: Type.String({ format: 'uuid' }),
    filename: Type.String(),
    format: DocumentFormatSchema,
    content_type: Type.String(),
    size_bytes: Type.Integer(),
    status: DocumentStatusSchema,
    attempt: Type.Integer(),
    uploaded_at: Type.String({ format: 'date-time' }),
  }),
  knowledge_base: Type.Object({
    id: Type.String({ format: 'uuid' }),
    collection: Type.String(),
    dimensions: Type.Integer(),
    distance_metric: Type.String(),
    chunk_size: Type.Integer(),
    chunk_overlap: Type.Integer(),
  }),
  /** null when the registry deleted the KB's embedding model. */
  embedding_model: Type.Union([
    Type.Object({
      id: Type.String(),
      type: Type.Union([Type.Literal('embedding'), Type.Literal('generation')]),
      provider: Type.String(),
      model_id: Type.String(),
      api_endpoint: Type.Union([Type.String(), Type.Null()]),
      config: Type.Record(Type.String(), Type.Unknown()),
      status: Type.String(),
    }),
    Type.Null(),
  ]),
});

const ContentBody = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1 }),
    text: Type.String(),
    chunk_size: Type.Integer({ minimum: 1 }),
    chunk_overlap: Type.Integer({ minimum: 0 }),
    chunks: Type.Array(Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 })])),
  },
  { additionalProperties: false },
);

export function registerInternalRoutes(app: ServiceApp, ctx: KbContext): void {
  app.get(
    '/internal/documents/:docId',
    {
      config: { access: 'service' },
      schema: {
        tags,
        summary: 'A document to process, its KB chunking config and embedding model (service identities)',
        params: Params,
        response: { 200: ProcessingJobSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const doc = await findDocument(ctx.db, request.params.docId);
      if (!doc) throw errors.DOCUMENT_NOT_FOUND(`Document ${request.params.docId} not found`);
      const kb = await findKb(ctx.db, doc.kb_id);
      if (!kb) throw errors.KB_NOT_FOUND(`Knowledge base ${doc.kb_id} not found`);
      const model = await findModel(ctx.db, kb.embedding_model_id);
      const config = effectiveConfig(kb.config_overrides as ConfigOverrides, ctx.settings.snapshot);
      return {
        document: {
          id: doc.id,
          kb_id: doc.kb_id,
          filename: doc.filename,
          format: doc.format as 'txt',
          content_type: doc.content_type,
          size_bytes: Number(doc.size_bytes),
          status: doc.status,
          attempt: doc.attempt,
          uploaded_at: doc.created_at.toISOString(),
        },
        knowledge_base: {
          id: kb.id,
          collection: kb.collection,
          dimensions: kb.dimensions,
          distance_metric: kb.distance_metric,
          chunk_size: config.chunk_size,
          chunk_overlap: config.chunk_overlap,
        },
        embedding_model: model ? { ...toLlmModel(model), status: model.status } : null,
      };
    },
  );

  app.get(
    '/internal/documents/:docId/original',
    {
      config: { access: 'service' },
      schema: {
        tags,
        summary: 'Original bytes of a document (service identities)',
        params: Params,
        response: { 200: Type.Unknown(), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const bytes = await ctx.storage.get(request.params.docId);
      if (!bytes) throw errors.DOCUMENT_NOT_FOUND(`Document ${request.params.docId} not found`);
      return reply.type('application/octet-stream').send(bytes);
    },
  );

  app.put(
    '/internal/documents/:docId/content',
    {
      config: { access: 'service' },
      // Extracted text can be much larger than the usual JSON body.
      bodyLimit: 512 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Store the extracted text and chunk offsets of an attempt (409 STALE_ATTEMPT for an old attempt)',
        params: Params,
        body: ContentBody,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      for (const [start, end] of body.chunks) {
        if (start > end || end > body.text.length) {
          throw errors.INVALID_CONTENT('Chunk offsets must lie within the text', { start, end });
        }
      }
      await ctx.db.transaction().execute(async (trx) => {
        const doc = await findDocument(trx, request.params.docId, { forUpdate: true });
        if (!doc) throw errors.DOCUMENT_NOT_FOUND(`Document ${request.params.docId} not found`);
        if (doc.attempt !== body.attempt) {
          throw errors.STALE_ATTEMPT(`Attempt ${body.attempt} is not the document's current attempt (${doc.attempt})`, {
            current_attempt: doc.attempt,
          });
        }
        await saveContent(trx, { document_id: doc.id, ...body });
      });
      return reply.status(204).send(null);
    },
  );
}
