/**
 * A document never stays PENDING or PROCESSING for ever. Workers report progress at
 * every step (and during long steps); a PROCESSING document without any report for
 * STUCK_DOCUMENT_AFTER_MS is re-queued as a new attempt (older reports become stale),
 * up to STUCK_MAX_REQUEUES times, then marked FAILED with the step it hung in.
 *
 * A PENDING document is stuck when its job message was lost (an event dropped by NATS,
 * a purged stream). That is certain when the queue holds nothing, and, under load, when
 * every job message still waiting was published after the document's own job (plus
 * STUCK_QUEUE_ORDER_MARGIN_MS): JetStream delivers in order, so its message, if there
 * was one, has been delivered, yet no worker has reported on the document since. A job
 * event still in our outbox (not yet published) is never lost.
 */
import {
  type Actor,
  DocumentFailed,
  DocumentRetryRequested,
  DocumentUploaded,
  PROCESSING_STEPS,
  type ProcessingStep,
} from '@lumikb/contracts';
import { type Kysely, sql } from '@lumikb/db';
import { recordEvent } from '@lumikb/events';
import type { KbContext } from '../context.ts';
import type { KnowledgeBaseDatabase } from '../db/database.ts';
import { findKb } from '../knowledge-bases/repository.ts';
import { type DocumentRow, documentColumns, startNewAttempt, updateProcessingState } from './repository.ts';
import { removeVectors } from './service.ts';

const SWEEP_ACTOR: Actor = { type: 'system', id: 'stuck-document-sweep' };

export interface SweepResult {
  requeued: string[];
  failed: string[];
}

export interface QueueSnapshot {
  /** Job messages no worker has received yet. */
  pending: number;
  /** Job messages held by workers, not yet acknowledged. */
  inFlight: number;
  /** Publish time of the oldest pending job message (null: none; absent: unknown). */
  oldestWaitingAt?: Date | null;
}

/** The worker queue now; null when it cannot be known. */
export type QueueProbe = () => Promise<QueueSnapshot | null>;

const JOB_EVENTS = [DocumentUploaded.type, DocumentRetryRequested.type];

/**
 * The PENDING documents among `candidates` whose job message cannot be waiting in the
 * queue: published (sent from the outbox) before `oldestWaitingAt` minus the margin.
 */
async function lostPending(
  ctx: KbContext,
  trx: Kysely<KnowledgeBaseDatabase>,
  candidates: DocumentRow[],
  oldestWaitingAt: Date,
): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  const rows = await trx
    .selectFrom('outbox')
    .select([
      sql<string>`payload->'data'->>'document_id'`.as('document_id'),
      sql<Date | null>`max(sent_at)`.as('last_sent_at'),
      sql<boolean>`bool_or(sent_at is null)`.as('unsent'),
    ])
    .where('subject', 'in', JOB_EVENTS)
    .where(
      sql<string>`payload->'data'->>'document_id'`,
      'in',
      candidates.map((d) => d.id),
    )
    .groupBy(sql`payload->'data'->>'document_id'`)
    .execute();
  const jobs = new Map(rows.map((r) => [r.document_id, r]));
  const before = oldestWaitingAt.getTime() - ctx.config.STUCK_QUEUE_ORDER_MARGIN_MS;
  const lost = new Set<string>();
  for (const doc of candidates) {
    const job = jobs.get(doc.id);
    if (job?.unsent) continue;
    const sentAt = Math.max(
      doc.last_progress_at.getTime(),
      job?.last_sent_at ? new Date(job.last_sent_at).getTime() : 0,
    );
    if (sentAt < before) lost.add(doc.id);
  }
  return lost;
}

export async function sweepStuckDocuments(ctx: KbContext, probe: QueueProbe): Promise<SweepResult> {
  const result: SweepResult = { requeued: [], failed: [] };
  const failedIn: { documentId: string; kbId: string }[] = [];
  const now = ctx.clock();
  const cutoff = new Date(now.getTime() - ctx.config.STUCK_DOCUMENT_AFTER_MS);
  const queue = await probe().catch(() => null);
  const queueEmpty = queue !== null && queue.pending === 0 && queue.inFlight === 0;
  // Under load, PENDING documents are candidates only when the queue's order can tell.
  const statuses: ('PENDING' | 'PROCESSING')[] =
    queueEmpty || queue?.oldestWaitingAt ? ['PENDING', 'PROCESSING'] : ['PROCESSING'];
  const minutes = Math.max(1, Math.round(ctx.config.STUCK_DOCUMENT_AFTER_MS / 60_000));

  await ctx.db.transaction().execute(async (trx) => {
    const candidates = (await trx
      .selectFrom('documents')
      .select(documentColumns)
      .where('status', 'in', statuses)
      .where('last_progress_at', '<', cutoff)
      .orderBy('last_progress_at')
      .limit(100)
      .forUpdate()
      .skipLocked()
      .execute()) as DocumentRow[];
    const oldestWaitingAt = queue?.oldestWaitingAt;
    const lost =
      !queueEmpty && oldestWaitingAt
        ? await lostPending(
            ctx,
            trx,
            candidates.filter((d) => d.status === 'PENDING'),
            oldestWaitingAt,
          )
        : undefined;
    const stuck = lost ? candidates.filter((d) => d.status !== 'PENDING' || lost.has(d.id)) : candidates;
    for (const doc of stuck) {
      if (doc.auto_requeues < ctx.config.STUCK_MAX_REQUEUES) {
        const next = await startNewAttempt(trx, doc, now, { autoRequeue: true });
        await recordEvent(
          trx,
          DocumentRetryRequested,
          { document_id: doc.id, kb_id: doc.kb_id, attempt: next.attempt, reason: 'stuck' },
          { actor: SWEEP_ACTOR },
        );
        result.requeued.push(doc.id);
        continue;
      }
      const step: ProcessingStep = PROCESSING_STEPS.includes(doc.current_step as ProcessingStep)
        ? (doc.current_step as ProcessingStep)
        : 'parse';
      const stepName = step === 'upload' ? 'parse' : step;
      const error =
        `No progress for more than ${minutes} min after ${doc.auto_requeues} automatic re-queue(s); ` +
        'the ingestion workers may be down or the document makes them hang. Retry once workers are healthy.';
      const steps = { ...doc.processing_steps };
      steps[stepName] = { status: 'error', started_at: steps[stepName].started_at, completed_at: now.toISOString() };
      const stepErrors = { ...doc.step_errors, [stepName]: error };
      await updateProcessingState(
        trx,
        doc.id,
        {
          status: 'FAILED',
          processing_steps: steps,
          current_step: stepName,
          step_errors: stepErrors,
          error_message: error,
          chunk_count: 0,
          processed_at: now,
        },
        now,
      );
      await recordEvent(
        trx,
        DocumentFailed,
        {
          document_id: doc.id,
          kb_id: doc.kb_id,
          attempt: doc.attempt,
          seq: doc.last_seq + 1,
          step: stepName,
          error,
          retryable: true,
          processing_steps: steps,
          step_errors: stepErrors,
          worker_id: SWEEP_ACTOR.id,
        },
        { actor: SWEEP_ACTOR },
      );
      result.failed.push(doc.id);
      failedIn.push({ documentId: doc.id, kbId: doc.kb_id });
    }
  });
  // A FAILED document has no searchable chunks: drop what a hung attempt may have indexed.
  for (const { documentId, kbId } of failedIn) {
    const kb = await findKb(ctx.db, kbId);
    if (kb) await removeVectors(ctx, kb.collection, documentId).catch(() => {});
  }
  if (result.requeued.length + result.failed.length > 0) {
    ctx.logger.warn(result, 'stuck documents re-queued or failed');
  }
  return result;
}

export function startSweep(ctx: KbContext, probe: QueueProbe): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepStuckDocuments(ctx, probe)
      .catch((error) => ctx.logger.warn({ err: error }, 'stuck-document sweep failed; will try again'))
      .finally(() => {
        running = false;
      });
  }, ctx.config.STUCK_SWEEP_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
