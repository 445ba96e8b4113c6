/**
 * A document never stays PENDING or PROCESSING for ever. Workers report progress at
 * every step (and during long steps); a PROCESSING document without any report for
 * STUCK_DOCUMENT_AFTER_MS is re-queued as a new attempt (older reports become stale),
 * up to STUCK_MAX_REQUEUES times, then marked FAILED with the step it hung in. A PENDING
 * document counts as stuck only when the worker queue holds nothing (its message was lost).
 */
import {
  type Actor,
  DocumentFailed,
  DocumentRetryRequested,
  PROCESSING_STEPS,
  type ProcessingStep,
} from '@lumikb/contracts';
import { recordEvent } from '@lumikb/events';
import type { KbContext } from '../context.ts';
import { findKb } from '../knowledge-bases/repository.ts';
import { type DocumentRow, documentColumns, startNewAttempt, updateProcessingState } from './repository.ts';
import { removeVectors } from './service.ts';

const SWEEP_ACTOR: Actor = { type: 'system', id: 'stuck-document-sweep' };

export interface SweepResult {
  requeued: string[];
  failed: string[];
}

/** Messages waiting for or held by workers; null when it cannot be known. */
export type QueueProbe = () => Promise<{ pending: number; inFlight: number } | null>;

export async function sweepStuckDocuments(ctx: KbContext, probe: QueueProbe): Promise<SweepResult> {
  const result: SweepResult = { requeued: [], failed: [] };
  const failedIn: { documentId: string; kbId: string }[] = [];
  const now = ctx.clock();
  const cutoff = new Date(now.getTime() - ctx.config.STUCK_DOCUMENT_AFTER_MS);
  const queue = await probe().catch(() => null);
  const statuses: ('PENDING' | 'PROCESSING')[] =
    queue && queue.pending === 0 && queue.inFlight === 0 ? ['PENDING', 'PROCESSING'] : ['PROCESSING'];
  const minutes = Math.max(1, Math.round(ctx.config.STUCK_DOCUMENT_AFTER_MS / 60_000));

  await ctx.db.transaction().execute(async (trx) => {
    const stuck = (await trx
      .selectFrom('documents')
      .select(documentColumns)
      .where('status', 'in', statuses)
      .where('last_progress_at', '<', cutoff)
      .orderBy('last_progress_at')
      .limit(100)
      .forUpdate()
      .skipLocked()
      .execute()) as DocumentRow[];
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
