/** Routes: documents of a knowledge base. */
import { createHash } from 'node:crypto';
import { acceptedTypesSentence } from '@lumikb/contracts';
import { AppError, caller, errorResponses, eventContextOf, type ServiceApp, STATUS_OF_KIND } from '@lumikb/service-kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { KbContext } from '../context.ts';
import { inTransaction } from '../db/transaction.ts';
import { errors } from '../errors.ts';
import { idempotencyScopeOf, idempotently, requestHash, sendResult } from '../idempotency/service.ts';
import { IdempotencyHeaders, KbIdParams } from '../knowledge-bases/schemas.ts';
import { requirePermission } from '../permissions/service.ts';
import { maxUploadBytes } from '../settings.ts';
import { type BulkUploadItem, BulkUploadResultSchema } from './bulk-schemas.ts';
import { type IncomingFile, receiveFile } from './receive.ts';
import {
  DocumentContentSchema,
  DocumentListQuery,
  DocumentListSchema,
  DocumentParams,
  DocumentSchema,
  UploadQuery,
} from './schemas.ts';
import {
  cleanFilename,
  deleteKbDocument,
  documentContent,
  documentOriginal,
  getDocument,
  listKbDocuments,
  retryDocument,
  storeDocument,
} from './service.ts';

const tags = ['documents'];

export function registerDocumentRoutes(app: ServiceApp, ctx: KbContext): void {
  app.post(
    '/api/v1/knowledge-bases/:id/documents',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: `Upload a document (multipart field "file"; ${acceptedTypesSentence()}; WRITE). 415 wrong type, 400 empty, 413 too large, 409 DUPLICATE_DOCUMENT when the KB holds the same bytes (unless allow_duplicate=true) — nothing is stored then.`,
        consumes: ['multipart/form-data'],
        params: KbIdParams,
        querystring: UploadQuery,
        headers: IdempotencyHeaders,
        response: { 201: DocumentSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const claims = caller(request);
      const kbId = request.params.id;
      const { allow_duplicate: allowDuplicate } = request.query;
      await requirePermission(ctx.db, kbId, claims, 'WRITE');
      const limit = maxUploadBytes(ctx.settings, ctx.config.MAX_UPLOAD_BYTES);
      const part = await multipartCall(request, () =>
        request.file({ limits: { fileSize: limit, files: 1, fields: 20 } }),
      );
      if (!part) throw errors.FILE_MISSING('The request contains no file; send it in a multipart field named "file"');
      const result = await idempotently(ctx, idempotencyScopeOf(request, claims.sub), (db, claim) =>
        inTransaction(db, async (trx) => {
          const received = await receiveFile(ctx, trx, { filename: part.filename, stream: part.file }, limit);
          await claim(requestHash(kbId, allowDuplicate, received.filename, received.sha256));
          return {
            status: 201,
            body: await storeDocument(ctx, trx, claims, kbId, received, eventContextOf(request), allowDuplicate),
          };
        }),
      );
      return sendResult(reply, result);
    },
  );

  app.post(
    '/api/v1/knowledge-bases/:id/documents/bulk',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: `Upload several documents in one request (multipart, any number of file parts up to ${ctx.config.MAX_BULK_FILES}; WRITE). 201 when every file was stored, 207 otherwise; each item holds its document or its error, and refused files store nothing.`,
        consumes: ['multipart/form-data'],
        params: KbIdParams,
        querystring: UploadQuery,
        headers: IdempotencyHeaders,
        response: {
          201: BulkUploadResultSchema,
          207: BulkUploadResultSchema,
          ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const claims = caller(request);
      const kbId = request.params.id;
      const { allow_duplicate: allowDuplicate } = request.query;
      await requirePermission(ctx.db, kbId, claims, 'WRITE');
      const limit = maxUploadBytes(ctx.settings, ctx.config.MAX_UPLOAD_BYTES);
      const result = await idempotently(ctx, idempotencyScopeOf(request, claims.sub), async (db, claim) => {
        const items: BulkUploadItem[] = [];
        const digests: [string, string | undefined][] = [];
        const parts = request.parts({
          limits: { fileSize: limit, files: ctx.config.MAX_BULK_FILES, fields: 20 },
        });
        const store = async (index: number, file: IncomingFile) => {
          // What the request asked for, whatever the outcome: the bytes' digest, or why they were refused.
          let digest: string | undefined;
          try {
            // One transaction per file without a key (a failure later keeps what was stored);
            // with a key the whole request is one transaction, replayed as a whole.
            const document = await inTransaction(db, async (trx) => {
              const received = await receiveFile(ctx, trx, file, limit);
              digest = received.sha256;
              try {
                return await storeDocument(ctx, trx, claims, kbId, received, eventContextOf(request), allowDuplicate);
              } catch (error) {
                await ctx.blobs.delete(trx, received.blobId);
                throw error;
              }
            });
            items[index] = { index, filename: document.filename, status: 201, document, error: null };
            digests[index] = [document.filename, digest];
          } catch (error) {
            if (!(error instanceof AppError) || !PER_FILE_ERRORS.has(error.code)) throw error;
            const details = (error.details ?? {}) as { filename?: string };
            const filename = details.filename ?? cleanFilename(file.filename);
            digests[index] = [filename, digest ?? error.code];
            items[index] = {
              index,
              filename,
              status: STATUS_OF_KIND[error.kind],
              document: null,
              error: { code: error.code, message: error.message, details: error.details ?? null },
            };
          }
        };
        // Without a key, small files are stored STORE_CONCURRENCY at a time, each in its own
        // transaction: an import of many small files is bound by round trips and commits,
        // not by bytes. A small file is read into memory first (the next part only arrives
        // once this one is read); a larger one is streamed, after the stores in flight.
        // Files with the same bytes are stored in request order, so the later one is the
        // duplicate, as when every file is stored one after the other.
        const concurrent = !db.isTransaction;
        const inFlight = new Set<Promise<void>>();
        const byContent = new Map<string, Promise<void>>();
        let failure: { error: unknown } | undefined;
        const settleAll = async () => {
          await Promise.allSettled([...inFlight]);
          if (failure) throw failure.error;
        };
        let count = 0;
        try {
          await multipartCall(request, async () => {
            for await (const part of parts) {
              if (part.type !== 'file') continue;
              const index = count++;
              const head = concurrent ? await readSmall(part.file) : undefined;
              if (!head || head.more) {
                await settleAll();
                await store(index, {
                  filename: part.filename,
                  stream: head ? resumed(head.pieces, head.iterator, part.file) : part.file,
                });
                continue;
              }
              const bytes = Buffer.concat(head.pieces);
              const file: IncomingFile = {
                filename: part.filename,
                stream: Object.assign(
                  (async function* () {
                    yield bytes;
                  })(),
                  { truncated: part.file.truncated === true },
                ),
              };
              const content = createHash('sha256').update(bytes).digest('hex');
              const before = byContent.get(content);
              while (inFlight.size >= STORE_CONCURRENCY) await Promise.race(inFlight);
              if (failure) throw failure.error;
              const task: Promise<void> = (async () => {
                await before;
                await store(index, file);
              })()
                .catch((error: unknown) => {
                  failure ??= { error };
                })
                .finally(() => inFlight.delete(task));
              inFlight.add(task);
              byContent.set(content, task);
            }
          });
        } finally {
          // Nothing of this request may still be writing once it answers.
          await Promise.allSettled([...inFlight]);
        }
        if (failure) throw failure.error;
        if (count === 0) {
          throw errors.FILE_MISSING('The request contains no file; send each file as a multipart file part');
        }
        await claim(requestHash(kbId, allowDuplicate, digests));
        const created = items.filter((i) => i.document).length;
        return {
          status: created === items.length ? 201 : 207,
          body: { created, failed: items.length - created, items },
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
      const { doc, content } = await documentOriginal(ctx, caller(request), request.params.id, request.params.docId);
      return reply
        .type(doc.content_type)
        .header('content-length', String(doc.size_bytes))
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(doc.filename)}`)
        .header('x-content-type-options', 'nosniff')
        .send(content);
    },
  );
}

/** Small files of one bulk request stored at the same time (each its own transaction and connection). */
const STORE_CONCURRENCY = 4;
/** A file up to this size is read into memory to be stored concurrently; a larger one streams. */
const SMALL_FILE_BYTES = 256 * 1024;

/** The first SMALL_FILE_BYTES of a part: all of it (`more` false) or the pieces read so far. */
async function readSmall(stream: AsyncIterable<Buffer>) {
  const iterator = stream[Symbol.asyncIterator]();
  const pieces: Buffer[] = [];
  let size = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { pieces, iterator, more: false };
    pieces.push(next.value);
    size += next.value.length;
    if (size > SMALL_FILE_BYTES) return { pieces, iterator, more: true };
  }
}

/** A part's stream again, from the pieces already read on, keeping busboy's `truncated` flag. */
function resumed(
  pieces: Buffer[],
  iterator: AsyncIterator<Buffer>,
  source: { truncated?: boolean },
): IncomingFile['stream'] {
  const stream = (async function* () {
    yield* pieces;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  return Object.defineProperty(stream, 'truncated', { get: () => source.truncated === true }) as IncomingFile['stream'];
}

/** Errors that refuse one file of a bulk upload; anything else fails the whole request. */
const PER_FILE_ERRORS = new Set(['FILE_TOO_LARGE', 'UNSUPPORTED_FILE_TYPE', 'EMPTY_FILE', 'DUPLICATE_DOCUMENT']);

/** Runs a multipart read, turning the plugin's errors about the body into FILE_MISSING (400). */
async function multipartCall<T>(request: FastifyRequest, read: () => Promise<T>): Promise<T> {
  if (!request.isMultipart()) {
    throw errors.FILE_MISSING('Send the document as multipart/form-data with a "file" field');
  }
  try {
    return await read();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
      throw errors.FILE_MISSING('Too many files or fields in one request', { code });
    }
    if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_MULTIPART_PREMATURE_CLOSE') {
      throw errors.FILE_MISSING('The multipart body is malformed or incomplete');
    }
    throw error;
  }
}
