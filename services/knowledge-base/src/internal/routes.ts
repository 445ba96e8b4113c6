/**
 * Routes for service identities (the ingestion worker): what a document is and how its
 * KB wants it processed, its original bytes, and the extracted text to keep for the viewer.
 */

import { Readable } from 'node:stream';
import {
  CONTENT_MEDIA_TYPE,
  type ContentHeader,
  ContentHeaderSchema,
  DocumentIdParamSchema,
  INTERNAL_KB_ROUTES,
  ProcessingJobSchema,
} from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { errorResponses, kitErrors, type ServiceApp } from '@lumikb/service-kit';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import type { KbContext } from '../context.ts';
import type { KnowledgeBaseDatabase } from '../db/database.ts';
import { findDocument, findOriginalBlob, saveContent } from '../documents/repository.ts';
import { errors } from '../errors.ts';
import { effectiveConfig } from '../knowledge-bases/config.ts';
import { findKb } from '../knowledge-bases/repository.ts';
import type { ConfigOverrides } from '../knowledge-bases/schemas.ts';
import { findModel } from '../models/repository.ts';
import { toLlmModel } from '../models/service.ts';

const tags = ['internal'];
const Params = DocumentIdParamSchema;

export function registerInternalRoutes(app: ServiceApp, ctx: KbContext): void {
  app.get(
    INTERNAL_KB_ROUTES.job,
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
          language: config.language,
        },
        embedding_model: model ? { ...toLlmModel(model), status: model.status } : null,
      };
    },
  );

  app.get(
    INTERNAL_KB_ROUTES.original,
    {
      config: { access: 'service' },
      schema: {
        tags,
        summary: 'Original bytes of a document, streamed from the blob store (service identities)',
        params: Params,
        response: { 200: Type.Unknown(), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const doc = await findDocument(ctx.db, request.params.docId);
      const blobId = doc ? await findOriginalBlob(ctx.db, doc.id) : undefined;
      if (!doc || blobId === undefined) throw errors.DOCUMENT_NOT_FOUND(`Document ${request.params.docId} not found`);
      return reply
        .type('application/octet-stream')
        .header('content-length', String(doc.size_bytes))
        .send(Readable.from(ctx.blobs.read(ctx.db, blobId)));
    },
  );

  // The text arrives as a stream and goes to the blob store in pieces: no body parser.
  app.register(async (scope) => {
    scope.addContentTypeParser(CONTENT_MEDIA_TYPE, (_request, payload, done) => done(null, payload));
    scope.put(
      INTERNAL_KB_ROUTES.content,
      {
        config: { access: 'service' },
        schema: {
          tags,
          summary: `Store the extracted text and chunk offsets of an attempt (409 STALE_ATTEMPT for an old attempt). Body (${CONTENT_MEDIA_TYPE}): one JSON line {attempt, chunk_size, chunk_overlap, chunks, parts?}, then the text as UTF-8.`,
          consumes: [CONTENT_MEDIA_TYPE],
          params: Params,
          response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 409, 415) },
        },
      },
      async (request, reply) => {
        // Any other media type was parsed by the kit's parsers (JSON, text): not a stream.
        const body = request.body as AsyncIterable<Buffer> | undefined;
        if (typeof body?.[Symbol.asyncIterator] !== 'function') {
          throw kitErrors.UNSUPPORTED_MEDIA_TYPE(`The body must be ${CONTENT_MEDIA_TYPE}`);
        }
        const { docId } = request.params as Static<typeof Params>;
        await ctx.db.transaction().execute(async (trx) => {
          const iterator = body[Symbol.asyncIterator]();
          const { header, rest } = await readHeaderLine(iterator);
          const text = await storeText(ctx, trx, rest, iterator);
          for (const [start, end] of [...header.chunks, ...(header.parts ?? [])]) {
            if (start > end || end > text.characters) {
              throw errors.INVALID_CONTENT('Chunk offsets must lie within the text', { start, end });
            }
          }
          const doc = await findDocument(trx, docId, { forUpdate: true });
          if (!doc) throw errors.DOCUMENT_NOT_FOUND(`Document ${docId} not found`);
          if (doc.attempt !== header.attempt) {
            throw errors.STALE_ATTEMPT(
              `Attempt ${header.attempt} is not the document's current attempt (${doc.attempt})`,
              { current_attempt: doc.attempt },
            );
          }
          const replaced = await saveContent(trx, {
            document_id: doc.id,
            attempt: header.attempt,
            text_oid: text.blobId,
            character_count: text.characters,
            chunks: header.chunks,
            ...(header.parts ? { parts: header.parts } : {}),
            chunk_size: header.chunk_size,
            chunk_overlap: header.chunk_overlap,
          });
          if (replaced !== undefined) await ctx.blobs.delete(trx, replaced);
        });
        return reply.status(204).send(null);
      },
    );
  });
}

/** The chunk offsets line may be long (≈15 bytes per chunk), but not unbounded. */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

async function readHeaderLine(iterator: AsyncIterator<Buffer>): Promise<{ header: ContentHeader; rest: Buffer }> {
  const pieces: Buffer[] = [];
  let size = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) throw errors.INVALID_CONTENT('The body ended before the header line');
    const newline = next.value.indexOf(0x0a);
    if (newline < 0) {
      pieces.push(next.value);
      size += next.value.length;
      if (size > MAX_HEADER_BYTES) throw errors.INVALID_CONTENT('The header line is too long');
      continue;
    }
    pieces.push(next.value.subarray(0, newline));
    let header: unknown;
    try {
      header = JSON.parse(Buffer.concat(pieces).toString('utf8'));
    } catch {
      throw errors.INVALID_CONTENT('The header line is not JSON');
    }
    if (!Value.Check(ContentHeaderSchema, header)) {
      throw errors.INVALID_CONTENT('The header line does not match {attempt, chunk_size, chunk_overlap, chunks}');
    }
    return { header, rest: next.value.subarray(newline + 1) };
  }
}

/** Streams the text into a blob, counting its characters as JavaScript strings count them (offsets use them). */
async function storeText(
  ctx: KbContext,
  trx: Kysely<KnowledgeBaseDatabase>,
  first: Buffer,
  iterator: AsyncIterator<Buffer>,
): Promise<{ blobId: number; characters: number }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let characters = 0;
  const count = (piece: Buffer) => {
    try {
      characters += decoder.decode(piece, { stream: true }).length;
    } catch {
      throw errors.INVALID_CONTENT('The text is not valid UTF-8');
    }
  };
  async function* pieces(): AsyncGenerator<Buffer> {
    count(first);
    yield first;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      count(next.value);
      yield next.value;
    }
    try {
      characters += decoder.decode().length;
    } catch {
      throw errors.INVALID_CONTENT('The text is not valid UTF-8');
    }
  }
  const blob = await ctx.blobs.write(trx, pieces());
  return { blobId: blob.id, characters };
}
