/**
 * The knowledge-base service's internal HTTP API (service identities: the ingestion
 * worker), as one contract: the KB uses these schemas as its route schemas, the worker's
 * client checks every answer against them, so the two sides cannot drift apart unnoticed.
 */
import { type Static, Type } from 'typebox';
import { ChunkLocationSchema } from './chunk-location-schema.ts';
import { DocumentFormatSchema, DocumentStatusSchema } from './documents.ts';
import { ModelTypeSchema, ProviderSchema } from './models.ts';

/** The KB's route patterns (`:docId`) and the worker's paths, side by side. */
export const INTERNAL_KB_ROUTES = {
  /** GET: the document, its KB's chunking config and embedding model (ProcessingJob); 404 when gone. */
  job: '/internal/documents/:docId',
  /** GET: the original bytes, streamed (application/octet-stream, content-length set). */
  original: '/internal/documents/:docId/original',
  /** PUT (CONTENT_MEDIA_TYPE): the extracted text of an attempt; 204, 404 gone, 409 STALE_ATTEMPT. */
  content: '/internal/documents/:docId/content',
} as const;

export const INTERNAL_KB_PATHS = {
  job: (docId: string) => `/internal/documents/${encodeURIComponent(docId)}`,
  original: (docId: string) => `/internal/documents/${encodeURIComponent(docId)}/original`,
  content: (docId: string) => `/internal/documents/${encodeURIComponent(docId)}/content`,
} as const;

export const DocumentIdParamSchema = Type.Object({ docId: Type.String({ format: 'uuid' }) });

/** What the worker needs to process one attempt of a document. */
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
    /** The KB's text-analysis language: each chunk's keyword-search terms are computed in it (absent from an older KB service: english). */
    language: Type.Optional(Type.String()),
  }),
  /** null when the registry deleted the KB's embedding model. */
  embedding_model: Type.Union([
    Type.Object({
      id: Type.String(),
      type: ModelTypeSchema,
      provider: ProviderSchema,
      model_id: Type.String(),
      api_endpoint: Type.Union([Type.String(), Type.Null()]),
      config: Type.Record(Type.String(), Type.Unknown()),
      status: Type.String(),
    }),
    Type.Null(),
  ]),
});
export type ProcessingJob = Static<typeof ProcessingJobSchema>;

/** The media type of a content upload: a ContentHeader JSON line, then the text as UTF-8 to the end. */
export const CONTENT_MEDIA_TYPE = 'application/vnd.lumikb.content';

/** First line of a content upload; the extracted text (UTF-8) follows it to the end of the body. */
export const ContentHeaderSchema = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1 }),
    chunk_size: Type.Integer({ minimum: 1 }),
    chunk_overlap: Type.Integer({ minimum: 0 }),
    // [start, end], or [start, end, location] for a document with structure (pages, slides, rows, headings).
    chunks: Type.Array(
      Type.Union([
        Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 })]),
        Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 }), ChunkLocationSchema]),
      ]),
    ),
    // The document's slides, pages, sheets, attachments or top-level headings for the
    // viewer (documentParts in contracts); optional: a worker of an older version sends none.
    parts: Type.Optional(
      Type.Array(Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 }), ChunkLocationSchema]), {
        maxItems: 5_000,
      }),
    ),
  },
  { additionalProperties: false },
);
export type ContentHeader = Static<typeof ContentHeaderSchema>;
