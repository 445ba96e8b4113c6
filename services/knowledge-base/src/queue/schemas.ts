import { DocumentStatusSchema, ProcessingStepsSchema, StepErrorsSchema, WorkerPresenceSchema } from '@lumikb/contracts';
import { Type } from 'typebox';
import { DocumentCountsSchema } from '../knowledge-bases/schemas.ts';

const ConsumerStatusSchema = Type.Object({
  name: Type.String(),
  event: Type.String(),
  exists: Type.Boolean({ description: 'false until a worker has started once' }),
  pending: Type.Integer({ description: 'messages not yet delivered to a worker' }),
  in_flight: Type.Integer({ description: 'delivered, not yet acknowledged' }),
  redelivered: Type.Integer({ description: 'in flight after at least one failed or timed-out delivery' }),
  waiting_pulls: Type.Integer(),
});

export const QueueStatusSchema = Type.Object({
  queue_depth: Type.Integer({ description: 'pending + in flight' }),
  pending: Type.Integer(),
  in_flight: Type.Integer(),
  redelivered: Type.Integer(),
  consumers: Type.Array(ConsumerStatusSchema),
  workers_connected: Type.Integer(),
  workers: Type.Array(WorkerPresenceSchema),
  documents: DocumentCountsSchema,
  checked_at: Type.String({ format: 'date-time' }),
});

export const TaskInfoSchema = Type.Object({
  task_id: Type.String(),
  task_name: Type.String(),
  status: DocumentStatusSchema,
  started_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  estimated_duration: Type.Union([Type.Integer(), Type.Null()], { description: 'milliseconds' }),
  processing_steps: Type.Union([ProcessingStepsSchema, Type.Null()]),
  current_step: Type.Union([Type.String(), Type.Null()]),
  step_errors: Type.Union([StepErrorsSchema, Type.Null()]),
  document_id: Type.String({ format: 'uuid' }),
  kb_id: Type.String({ format: 'uuid' }),
  kb_name: Type.Union([Type.String(), Type.Null()], {
    description: 'null when the caller may not read the KB (an operator who is not a member)',
  }),
  filename: Type.Union([Type.String(), Type.Null()], { description: 'null when kb_name is' }),
  attempt: Type.Integer(),
  error_message: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const TaskListSchema = Type.Object({
  items: Type.Array(TaskInfoSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const TaskQuery = Type.Object({
  status: Type.Optional(DocumentStatusSchema),
  kb_id: Type.Optional(Type.String({ format: 'uuid' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

export const BulkRetryRequestSchema = Type.Object(
  {
    document_ids: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 1_000 })),
    retry_all_failed: Type.Optional(Type.Boolean({ default: false })),
    kb_id: Type.Optional(Type.String({ format: 'uuid', description: 'restrict to one knowledge base' })),
  },
  { additionalProperties: false },
);

export const BulkRetryResponseSchema = Type.Object({
  queued: Type.Integer(),
  failed: Type.Integer(),
  errors: Type.Array(Type.Object({ document_id: Type.String(), code: Type.String(), error: Type.String() })),
});

export const KbStatsSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      kb_id: Type.String({ format: 'uuid' }),
      name: Type.Union([Type.String(), Type.Null()], {
        description: 'null when the caller may not read the KB (an operator who is not a member)',
      }),
      documents: DocumentCountsSchema,
      chunk_count: Type.Integer(),
      vector_count: Type.Union([Type.Integer(), Type.Null()], {
        description: 'points in the collection (null if unknown)',
      }),
      vector_search: Type.Union(
        [
          Type.Literal('exact'),
          Type.Literal('pgvector'),
          Type.Literal('migrating'),
          Type.Literal('qdrant'),
          Type.Null(),
        ],
        {
          description:
            'how its vector search runs: exact (in-memory), pgvector (HNSW index), migrating (being copied to pgvector, searched exactly meanwhile), qdrant; null if unknown',
        },
      ),
      storage_bytes: Type.Integer({ description: 'original files' }),
      embedding_model_id: Type.String(),
      generation_model_id: Type.String(),
      last_upload_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      created_at: Type.String({ format: 'date-time' }),
    }),
  ),
  totals: Type.Object({
    knowledge_bases: Type.Integer(),
    documents: Type.Integer(),
    chunks: Type.Integer(),
    storage_bytes: Type.Integer(),
  }),
});
