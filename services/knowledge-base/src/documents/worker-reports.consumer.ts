/**
 * Applies the worker's reports (document.step_changed / processed / failed) to the
 * documents, at most once each, ignoring stale ones: an event of an older attempt, or
 * not newer than the last applied (attempt, seq), or arriving after the attempt ended.
 */
import { DocumentFailed, DocumentProcessed, DocumentStepChanged, type EventOf, STREAMS } from '@lumikb/contracts';
import { sql } from '@lumikb/db';
import { applyOnce, eventConsumer } from '@lumikb/events';
import type { KbContext } from '../context.ts';
import type { KnowledgeBaseDatabase } from '../db/database.ts';
import { findKb } from '../knowledge-bases/repository.ts';
import { applyCurrentReport, findDocument } from './repository.ts';
import { removeVectors } from './service.ts';

export const DOCUMENTS_CONSUMER = 'knowledge-base-documents';

type WorkerReport =
  | EventOf<typeof DocumentStepChanged>
  | EventOf<typeof DocumentProcessed>
  | EventOf<typeof DocumentFailed>;

export type ApplyOutcome = 'applied' | 'stale' | 'orphan' | 'duplicate';

export async function applyWorkerReport(ctx: KbContext, event: WorkerReport): Promise<ApplyOutcome> {
  const { data } = event;
  let outcome = 'duplicate' as ApplyOutcome;
  await applyOnce(ctx.db, DOCUMENTS_CONSUMER, event.id, async (trx) => {
    // A step report need not wait for the disk: should a database crash lose it (a
    // fraction of a second of them), the next report supersedes it with the full step
    // snapshot. The final reports (READY, FAILED) commit durably, as every other write.
    if (event.type === 'document.step_changed') await sql`set local synchronous_commit = off`.execute(trx);
    const now = ctx.clock();
    const report = { attempt: data.attempt, seq: data.seq };
    let applied: boolean;
    switch (event.type) {
      case 'document.step_changed': {
        const step = (event as EventOf<typeof DocumentStepChanged>).data;
        applied = await applyCurrentReport(
          trx,
          data.document_id,
          report,
          {
            status: 'PROCESSING',
            processing_steps: step.processing_steps,
            current_step: step.step,
            last_seq: step.seq,
            processing_started_at: now,
          },
          now,
        );
        break;
      }
      case 'document.processed': {
        const done = (event as EventOf<typeof DocumentProcessed>).data;
        applied = await applyCurrentReport(
          trx,
          data.document_id,
          report,
          {
            status: 'READY',
            processing_steps: done.processing_steps,
            current_step: null,
            step_errors: {},
            error_message: null,
            chunk_count: done.chunk_count,
            character_count: done.character_count,
            last_seq: done.seq,
            processing_started_at: now,
            processed_at: now,
            duration_ms: done.duration_ms,
          },
          now,
        );
        break;
      }
      case 'document.failed': {
        const failed = (event as EventOf<typeof DocumentFailed>).data;
        applied = await applyCurrentReport(
          trx,
          data.document_id,
          report,
          {
            status: 'FAILED',
            processing_steps: failed.processing_steps,
            current_step: failed.step,
            step_errors: failed.step_errors,
            error_message: failed.error,
            chunk_count: 0,
            last_seq: failed.seq,
            processed_at: now,
          },
          now,
        );
        break;
      }
    }
    // Not applied: an older attempt, not newer than the last applied, after the attempt
    // ended (stale) — or the document is gone (orphan), which only this lookup tells.
    outcome = applied ? 'applied' : (await findDocument(trx, data.document_id)) ? 'stale' : 'orphan';
  });
  if (outcome === 'orphan' && event.type !== 'document.step_changed') {
    // The document was deleted while a worker indexed it: its vectors must not linger.
    const kb = await findKb(ctx.db, data.kb_id);
    if (kb) await removeVectors(ctx, kb.collection, data.document_id);
  }
  return outcome;
}

export const workerReportsConsumer = eventConsumer<KbContext, KnowledgeBaseDatabase>({
  stream: STREAMS.DOCUMENTS,
  durable: DOCUMENTS_CONSUMER,
  events: [DocumentStepChanged, DocumentProcessed, DocumentFailed],
  concurrency: 8,
  component: 'document-reports',
  handle: async (event, ctx, kit) => {
    const outcome = await applyWorkerReport(ctx, event as WorkerReport);
    if (outcome === 'stale') kit.logger.debug({ eventId: event.id, type: event.type }, 'ignored a stale worker report');
  },
});
