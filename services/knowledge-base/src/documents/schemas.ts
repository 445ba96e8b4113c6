import {
  ChunkLocationSchema,
  DocumentFormatSchema,
  DocumentStatusSchema,
  ProcessingStepsSchema,
  StepErrorsSchema,
} from '@lumikb/contracts';
import { type Static, Type } from 'typebox';

export const DocumentSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kb_id: Type.String({ format: 'uuid' }),
  filename: Type.String(),
  format: DocumentFormatSchema,
  content_type: Type.String(),
  size_bytes: Type.Integer(),
  sha256: Type.String(),
  status: DocumentStatusSchema,
  processing_steps: ProcessingStepsSchema,
  current_step: Type.Union([Type.String(), Type.Null()]),
  step_errors: StepErrorsSchema,
  error_message: Type.Union([Type.String(), Type.Null()]),
  chunk_count: Type.Integer(),
  character_count: Type.Union([Type.Integer(), Type.Null()]),
  attempt: Type.Integer({ description: 'processing attempt (1 at upload, +1 per retry)' }),
  uploaded_by: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  processing_started_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  processed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  duration_ms: Type.Union([Type.Integer(), Type.Null()]),
});
export type DocumentView = Static<typeof DocumentSchema>;

export const DocumentListQuery = Type.Object({
  status: Type.Optional(DocumentStatusSchema),
  q: Type.Optional(Type.String({ maxLength: 255, description: 'filter by file name (substring)' })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

export const DocumentListSchema = Type.Object({
  items: Type.Array(DocumentSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const DocumentParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  docId: Type.String({ format: 'uuid' }),
});

export const ChunkViewSchema = Type.Object({
  index: Type.Integer(),
  start_offset: Type.Integer(),
  end_offset: Type.Integer(),
  text: Type.String(),
  location: Type.Optional(ChunkLocationSchema),
});

export const DocumentPartSchema = Type.Object(
  {
    start_offset: Type.Integer(),
    end_offset: Type.Integer(),
    location: ChunkLocationSchema,
    title: Type.String({
      description: "the part's first line: a slide's title, an attachment's name, a sheet's columns",
    }),
  },
  { description: 'A slide, page, sheet (with its rows), attachment or top-level heading of the document' },
);

export const DocumentContentSchema = Type.Object({
  document_id: Type.String({ format: 'uuid' }),
  kb_id: Type.String({ format: 'uuid' }),
  attempt: Type.Integer(),
  text: Type.String(),
  character_count: Type.Integer(),
  chunk_size: Type.Integer(),
  chunk_overlap: Type.Integer(),
  chunks: Type.Array(ChunkViewSchema),
  /** In text order; empty for text without structure. */
  parts: Type.Array(DocumentPartSchema),
});

export const UploadQuery = Type.Object({
  allow_duplicate: Type.Boolean({
    default: false,
    description:
      'keep the file even when the KB holds a document with the same bytes (otherwise 409 DUPLICATE_DOCUMENT)',
  }),
});
