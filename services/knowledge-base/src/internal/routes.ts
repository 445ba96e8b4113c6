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
import { findDocument, saveContent } from '../documents/repository.ts';
import { errors } from '../errors.ts';
import { effectiveConfig } from '../knowledge-bases/config.ts';
import type { ConfigOverrides } from '../knowledge-bases/schemas.ts';
import type { ProjectedModel } from '../models/repository.ts';
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
      // One statement for the document, its KB and the KB's embedding model: the worker
      // asks this once per document, so a bulk import of small files pays it per file.
      const row = await ctx.db
        .selectFrom('documents as d')
        .leftJoin('knowledge_bases as k', 'k.id', 'd.kb_id')
        .leftJoin('models as m', (join) =>
          join.onRef('m.id', '=', 'k.embedding_model_id').on('m.deleted_at', 'is', null),
        )
        .select([
          'd.id',
          'd.kb_id',
          'd.filename',
          'd.format',
          'd.content_type',
          'd.size_bytes',
          'd.status',
          'd.attempt',
          'd.created_at',
          'k.id as k_id',
          'k.collection',
          'k.dimensions',
          'k.distance_metric',
          'k.config_overrides',
          'm.id as m_id',
          'm.type as m_type',
          'm.provider as m_provider',
          'm.model_id as m_model_id',
          'm.api_endpoint as m_api_endpoint',
          'm.config as m_config',
          'm.status as m_status',
        ])
        .where('d.id', '=', request.params.docId)
        .executeTakeFirst();
      if (!row) throw errors.DOCUMENT_NOT_FOUND(`Document ${request.params.docId} not found`);
      if (!row.k_id || !row.collection || row.dimensions === null || !row.distance_metric) {
        throw errors.KB_NOT_FOUND(`Knowledge base ${row.kb_id} not found`);
      }
      const config = effectiveConfig((row.config_overrides ?? {}) as ConfigOverrides, ctx.settings.snapshot);
      return {
        document: {
          id: row.id,
          kb_id: row.kb_id,
          filename: row.filename,
          format: row.format as 'txt',
          content_type: row.content_type,
          size_bytes: Number(row.size_bytes),
          status: row.status,
          attempt: row.attempt,
          uploaded_at: row.created_at.toISOString(),
        },
        knowledge_base: {
          id: row.k_id,
          collection: row.collection,
          dimensions: row.dimensions,
          distance_metric: row.distance_metric,
          chunk_size: config.chunk_size,
          chunk_overlap: config.chunk_overlap,
          language: config.language,
        },
        embedding_model:
          row.m_id && row.m_type && row.m_provider && row.m_model_id && row.m_status
            ? {
                ...toLlmModel({
                  id: row.m_id,
                  type: row.m_type,
                  provider: row.m_provider as ProjectedModel['provider'],
                  name: '',
                  model_id: row.m_model_id,
                  api_endpoint: row.m_api_endpoint,
                  config: (row.m_config ?? {}) as Record<string, unknown>,
                  status: row.m_status,
                  is_default: false,
                }),
                status: row.m_status,
              }
            : null,
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
      // The document's size and its blob in one statement.
      const row = await ctx.db
        .selectFrom('documents as d')
        .innerJoin('document_originals as o', 'o.document_id', 'd.id')
        .select(['d.size_bytes', 'o.blob_oid'])
        .where('d.id', '=', request.params.docId)
        .executeTakeFirst();
      if (!row) throw errors.DOCUMENT_NOT_FOUND(`Document ${request.params.docId} not found`);
      return reply
        .type('application/octet-stream')
        .header('content-length', String(row.size_bytes))
        .send(Readable.from(ctx.blobs.read(ctx.db, Number(row.blob_oid))));
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
