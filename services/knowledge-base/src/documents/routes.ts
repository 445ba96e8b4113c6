/** Routes: documents of a knowledge base. */
import { createHash } from 'node:crypto';
import { caller, errorResponses, eventContextOf, type ServiceApp } from '@lumikb/service-kit';
import { Type } from 'typebox';
import type { KbContext } from '../context.ts';
import { errors } from '../errors.ts';
import { idempotencyScopeOf, idempotently, requestHash, sendResult } from '../idempotency/service.ts';
import { IdempotencyHeaders, KbIdParams } from '../knowledge-bases/schemas.ts';
import { requirePermission } from '../permissions/service.ts';
import { maxUploadBytes } from '../settings.ts';
import {
  DocumentContentSchema,
  DocumentListQuery,
  DocumentListSchema,
  DocumentParams,
  DocumentSchema,
  UploadQuery,
} from './schemas.ts';
import {
  deleteKbDocument,
  documentContent,
  documentOriginal,
  getDocument,
  listKbDocuments,
  retryDocument,
  uploadDocument,
} from './service.ts';

const tags = ['documents'];

export function registerDocumentRoutes(app: ServiceApp, ctx: KbContext): void {
  app.post(
    '/api/v1/knowledge-bases/:id/documents',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary:
          'Upload a document (multipart field "file"; txt, md, html, pdf or docx; WRITE). 415 wrong type, 400 empty, 413 too large, 409 DUPLICATE_DOCUMENT when the KB holds the same bytes (unless allow_duplicate=true) — nothing is stored then.',
        consumes: ['multipart/form-data'],
        params: KbIdParams,
        querystring: UploadQuery,
        headers: IdempotencyHeaders,
        response: { 201: DocumentSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const claims = caller(request);
      await requirePermission(ctx.db, request.params.id, claims, 'WRITE');
      if (!request.isMultipart()) {
        throw errors.FILE_MISSING('Send the document as multipart/form-data with a "file" field');
      }
      const limit = maxUploadBytes(ctx.settings, ctx.config.MAX_UPLOAD_BYTES);
      const tooLarge = () => {
        ctx.metrics.uploads.inc({ outcome: 'too_large' });
        return errors.FILE_TOO_LARGE(`The file is larger than the upload limit of ${formatBytes(limit)}`, {
          max_bytes: limit,
        });
      };
      let file: Awaited<ReturnType<typeof request.file>>;
      let bytes: Buffer;
      try {
        file = await request.file({ limits: { fileSize: limit, files: 1, fields: 20 } });
        if (!file) throw errors.FILE_MISSING('The request contains no file; send it in a multipart field named "file"');
        bytes = await file.toBuffer();
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
        if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
          throw errors.FILE_MISSING('Upload one file per request');
        }
        if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_MULTIPART_PREMATURE_CLOSE') {
          throw errors.FILE_MISSING('The multipart body is malformed or incomplete');
        }
        throw error;
      }
      if (file.file.truncated || bytes.length > limit) throw tooLarge();
      const filename = file.filename;
      const result = await idempotently(ctx, idempotencyScopeOf(request, claims.sub), async (db, claim) => {
        const allowDuplicate = request.query.allow_duplicate;
        await claim(
          requestHash(request.params.id, allowDuplicate, filename, createHash('sha256').update(bytes).digest('hex')),
        );
        return {
          status: 201,
          body: await uploadDocument(ctx, claims, request.params.id, { filename, bytes }, eventContextOf(request), {
            allowDuplicate,
            db,
          }),
        };
      });
      return sendResult(reply, result);
    },
  );

  app.get(
    '/api/v1/knowledge-bases/:id/documents',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Documents of a knowledge base, newest first, filterable by status (READ)',
        params: KbIdParams,
        querystring: DocumentListQuery,
        response: { 200: DocumentListSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => listKbDocuments(ctx, caller(request), request.params.id, request.query),
  );

  app.get(
    '/api/v1/knowledge-bases/:id/documents/:docId',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'One document with its processing steps (READ)',
        params: DocumentParams,
        response: { 200: DocumentSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => getDocument(ctx, caller(request), request.params.id, request.params.docId),
  );

  app.delete(
    '/api/v1/knowledge-bases/:id/documents/:docId',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Delete a document, its original and its vectors (WRITE)',
        params: DocumentParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      await deleteKbDocument(ctx, caller(request), request.params.id, request.params.docId, eventContextOf(request));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/knowledge-bases/:id/documents/:docId/retry',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Process a FAILED document again (WRITE; 409 DOCUMENT_NOT_FAILED otherwise)',
        params: DocumentParams,
        response: { 200: DocumentSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      retryDocument(ctx, caller(request), request.params.id, request.params.docId, eventContextOf(request)),
  );

  app.get(
    '/api/v1/knowledge-bases/:id/documents/:docId/content',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Extracted text and its chunks with character offsets, for the split-pane viewer (READ)',
        params: DocumentParams,
        response: { 200: DocumentContentSchema, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) => documentContent(ctx, caller(request), request.params.id, request.params.docId),
  );

  app.get(
    '/api/v1/knowledge-bases/:id/documents/:docId/original',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Download the file as uploaded (READ)',
        params: DocumentParams,
        response: { 200: Type.Unknown({ description: 'the original bytes' }), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { doc, bytes } = await documentOriginal(ctx, caller(request), request.params.id, request.params.docId);
      return reply
        .type(doc.content_type)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(doc.filename)}`)
        .header('x-content-type-options', 'nosniff')
        .send(bytes);
    },
  );
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${n} bytes`;
}
