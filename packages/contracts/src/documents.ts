/**
 * Document processing events (stream DOCUMENTS). The knowledge-base service owns the
 * documents; the ingestion worker processes them and reports every step back.
 *
 * Ordering and staleness: every upload or retry starts a new processing `attempt`
 * (1, 2, …). Worker events carry that attempt and a `seq` that grows within it, plus a
 * full snapshot of the steps, so the KB applies the newest (attempt, seq) it has seen and
 * ignores anything older — events may be redelivered or arrive out of order.
 */
import { type Static, Type } from 'typebox';
import { defineEvent } from './envelope.ts';
import { DOCUMENT_FORMATS } from './file-types.ts';
import { literalUnion } from './literal-union.ts';

export const DOCUMENT_STATUSES = ['PENDING', 'PROCESSING', 'READY', 'FAILED'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];
export const DocumentStatusSchema = literalUnion(DOCUMENT_STATUSES);

export const PROCESSING_STEPS = ['upload', 'parse', 'chunk', 'embed', 'index'] as const;
export type ProcessingStep = (typeof PROCESSING_STEPS)[number];
export const ProcessingStepSchema = literalUnion(PROCESSING_STEPS);

export const STEP_STATUSES = ['pending', 'in_progress', 'done', 'error', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export const StepStatusSchema = literalUnion(STEP_STATUSES);

export const StepInfoSchema = Type.Object({
  status: StepStatusSchema,
  started_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  completed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type StepInfo = Static<typeof StepInfoSchema>;

export const ProcessingStepsSchema = Type.Object({
  upload: StepInfoSchema,
  parse: StepInfoSchema,
  chunk: StepInfoSchema,
  embed: StepInfoSchema,
  index: StepInfoSchema,
});
export type ProcessingSteps = Static<typeof ProcessingStepsSchema>;

/** Error message per failed step, e.g. `{ "parse": "PDF has no extractable text" }`. */
export const StepErrorsSchema = Type.Record(Type.String(), Type.String());
export type StepErrors = Static<typeof StepErrorsSchema>;

export const DocumentFormatSchema = literalUnion(DOCUMENT_FORMATS);

const Uuid = Type.String({ format: 'uuid' });
const Attempt = Type.Integer({ minimum: 1, description: 'processing attempt this event belongs to' });
const Seq = Type.Integer({ minimum: 1, description: 'grows with every event of one attempt' });

export const DocumentUploaded = defineEvent(
  'document.uploaded',
  Type.Object({
    document_id: Uuid,
    kb_id: Uuid,
    filename: Type.String(),
    format: DocumentFormatSchema,
    content_type: Type.String(),
    size_bytes: Type.Integer({ minimum: 1 }),
    sha256: Type.String(),
    attempt: Attempt,
  }),
);

export const RetryReasonSchema = Type.Union([
  Type.Literal('manual'),
  Type.Literal('bulk'),
  Type.Literal('stuck'),
  Type.Literal('reprocess'),
]);

export const DocumentRetryRequested = defineEvent(
  'document.retry_requested',
  Type.Object({
    document_id: Uuid,
    kb_id: Uuid,
    attempt: Attempt,
    reason: RetryReasonSchema,
  }),
);

export const DocumentStepChanged = defineEvent(
  'document.step_changed',
  Type.Object({
    document_id: Uuid,
    kb_id: Uuid,
    attempt: Attempt,
    seq: Seq,
    step: ProcessingStepSchema,
    status: StepStatusSchema,
    processing_steps: ProcessingStepsSchema,
    /** Progress inside a long step (chunks embedded so far); doubles as a heartbeat. */
    progress: Type.Optional(Type.Object({ done: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }) })),
    worker_id: Type.String(),
  }),
);

export const DocumentProcessed = defineEvent(
  'document.processed',
  Type.Object({
    document_id: Uuid,
    kb_id: Uuid,
    attempt: Attempt,
    seq: Seq,
    chunk_count: Type.Integer({ minimum: 0 }),
    character_count: Type.Integer({ minimum: 0 }),
    processing_steps: ProcessingStepsSchema,
    duration_ms: Type.Integer({ minimum: 0 }),
    worker_id: Type.String(),
  }),
);

export const DocumentFailed = defineEvent(
  'document.failed',
  Type.Object({
    document_id: Uuid,
    kb_id: Uuid,
    attempt: Attempt,
    seq: Seq,
    step: ProcessingStepSchema,
    error: Type.String(),
    /** False for errors a retry cannot fix as is (corrupt file, no text, dimension mismatch). */
    retryable: Type.Boolean(),
    processing_steps: ProcessingStepsSchema,
    step_errors: StepErrorsSchema,
    worker_id: Type.String(),
  }),
);

export const DocumentDeleted = defineEvent('document.deleted', Type.Object({ document_id: Uuid, kb_id: Uuid }));

/**
 * Durable JetStream consumers of the ingestion worker, one per event type (NATS 2.9 has
 * one filter subject per consumer). Queue monitoring reads their counters.
 */
export const INGESTION_CONSUMERS = [
  { durable: 'ingestion-worker-uploaded', event: 'document.uploaded' },
  { durable: 'ingestion-worker-retry', event: 'document.retry_requested' },
] as const;

/**
 * Core NATS (not JetStream) request subject every running worker answers with its
 * presence, so queue monitoring can count the workers connected right now.
 */
export const INGESTION_WORKERS_PING = 'ingestion.workers.ping';

export const WorkerPresenceSchema = Type.Object({
  worker_id: Type.String(),
  started_at: Type.String({ format: 'date-time' }),
  concurrency: Type.Integer({ minimum: 1 }),
  in_flight: Type.Integer({ minimum: 0 }),
  processed: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
});
export type WorkerPresence = Static<typeof WorkerPresenceSchema>;

/** Steps of a document that was just uploaded: upload done, the rest pending. */
export function initialProcessingSteps(uploadedAt: string): ProcessingSteps {
  const pending: StepInfo = { status: 'pending', started_at: null, completed_at: null };
  return {
    upload: { status: 'done', started_at: uploadedAt, completed_at: uploadedAt },
    parse: { ...pending },
    chunk: { ...pending },
    embed: { ...pending },
    index: { ...pending },
  };
}
