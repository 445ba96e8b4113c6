/**
 * Queue monitoring for operators (story 7-27): the worker consumers' JetStream counters,
 * the workers answering right now, the processing tasks with their steps, bulk retry of
 * failed documents (every document accounted for) and per-KB statistics.
 */
import {
  type AccessTokenClaims,
  type Actor,
  type DocumentStatus,
  INGESTION_CONSUMERS,
  INGESTION_WORKERS_PING,
  STREAMS,
  type WorkerPresence,
  WorkerPresenceSchema,
} from '@lumikb/contracts';
import { readSnapshot } from '@lumikb/db';
import { isNotFound } from '@lumikb/events';
import { AppError, recordAudit } from '@lumikb/service-kit';
import { RequestStrategy } from 'nats';
import { Compile } from 'typebox/compile';
import type { KbContext } from '../context.ts';
import type { DocumentRow } from '../documents/repository.ts';
import { documentColumns } from '../documents/repository.ts';
import { requeueFailedDocument } from '../documents/service.ts';
import type { QueueSnapshot } from '../documents/sweep.ts';
import { errors } from '../errors.ts';
import { documentCounts, emptyCounts } from '../knowledge-bases/repository.ts';
import { permissionsOf } from '../permissions/service.ts';

export interface ConsumerStatus {
  name: string;
  event: string;
  exists: boolean;
  pending: number;
  in_flight: number;
  redelivered: number;
  waiting_pulls: number;
}

const checkPresence = Compile(WorkerPresenceSchema);

/** Counters of the worker's durable consumers; a missing consumer (worker never started) counts zero. */
export async function consumerStatuses(ctx: KbContext): Promise<ConsumerStatus[]> {
  const stream = ctx.bus.streamName(STREAMS.DOCUMENTS);
  return Promise.all(
    INGESTION_CONSUMERS.map(async ({ durable, event }) => {
      try {
        const info = await ctx.bus.jsm.consumers.info(stream, durable);
        return {
          name: durable,
          event,
          exists: true,
          pending: info.num_pending,
          in_flight: info.num_ack_pending,
          redelivered: info.num_redelivered,
          waiting_pulls: info.num_waiting,
        };
      } catch (error) {
        if (!isNotFound(error)) throw error;
        return { name: durable, event, exists: false, pending: 0, in_flight: 0, redelivered: 0, waiting_pulls: 0 };
      }
    }),
  );
}

/** Workers connected now: each running worker answers the ping on core NATS. */
export async function connectedWorkers(ctx: KbContext): Promise<WorkerPresence[]> {
  const replies = await ctx.bus.nc.requestMany(ctx.bus.subject(INGESTION_WORKERS_PING), undefined, {
    strategy: RequestStrategy.Timer,
    maxWait: ctx.config.QUEUE_WORKERS_PING_MS,
  });
  const workers: WorkerPresence[] = [];
  for await (const msg of replies) {
    try {
      const presence = msg.json<WorkerPresence>();
      if (checkPresence.Check(presence)) workers.push(presence);
    } catch {
      // not a presence reply (e.g. "no responders"): nobody answered
    }
  }
  return workers.sort((a, b) => a.worker_id.localeCompare(b.worker_id));
}

/**
 * Probe for the stuck-document sweep: null when the queue cannot be inspected. Besides
 * the counts, the publish time of the oldest job message no worker has received yet:
 * JetStream delivers in order, so a job published before it has been delivered.
 */
export async function queueProbe(ctx: KbContext): Promise<QueueSnapshot | null> {
  const stream = ctx.bus.streamName(STREAMS.DOCUMENTS);
  let pending = 0;
  let inFlight = 0;
  let oldestWaitingAt: Date | null = null;
  for (const { durable, event } of INGESTION_CONSUMERS) {
    let info: Awaited<ReturnType<typeof ctx.bus.jsm.consumers.info>>;
    try {
      info = await ctx.bus.jsm.consumers.info(stream, durable);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    pending += info.num_pending;
    inFlight += info.num_ack_pending;
    if (info.num_pending === 0) continue;
    // The server (≥ 2.9) answers `next_by_subj` on STREAM.MSG.GET; nats.js types only
    // declare it for direct get, which our streams do not enable.
    const nextForConsumer = { next_by_subj: ctx.bus.subject(event), seq: info.delivered.stream_seq + 1 };
    const next = await ctx.bus.jsm.streams.getMessage(stream, nextForConsumer as unknown as { seq: number });
    if (!oldestWaitingAt || next.time < oldestWaitingAt) oldestWaitingAt = next.time;
  }
  return { pending, inFlight, oldestWaitingAt };
}

export async function queueStatus(ctx: KbContext) {
  let consumers: ConsumerStatus[];
  let workers: WorkerPresence[];
  try {
    [consumers, workers] = await Promise.all([consumerStatuses(ctx), connectedWorkers(ctx)]);
  } catch (error) {
    ctx.logger.warn({ err: error }, 'queue status unavailable');
    throw errors.QUEUE_UNAVAILABLE('The message queue (NATS JetStream) does not answer', {
      reason: error instanceof Error ? error.message : String(error),
    });
  }
  const rows = await ctx.db
    .selectFrom('documents')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const documents = emptyCounts();
  for (const row of rows) {
    documents[row.status] = Number(row.n);
    documents.total += Number(row.n);
  }
  const pending = consumers.reduce((n, c) => n + c.pending, 0);
  const inFlight = consumers.reduce((n, c) => n + c.in_flight, 0);
  return {
    queue_depth: pending + inFlight,
    pending,
    in_flight: inFlight,
    redelivered: consumers.reduce((n, c) => n + c.redelivered, 0),
    consumers,
    workers_connected: workers.length,
    workers,
    documents,
    checked_at: ctx.clock().toISOString(),
  };
}

/** Expected processing time: the recent rate (ms per byte) of successful documents times the size. */
async function durationRate(ctx: KbContext): Promise<number | null> {
  const row = await ctx.db
    .selectFrom((eb) =>
      eb
        .selectFrom('documents')
        .select(['duration_ms', 'size_bytes'])
        .where('status', '=', 'READY')
        .where('duration_ms', 'is not', null)
        .orderBy('processed_at', 'desc')
        .limit(200)
        .as('recent'),
    )
    .select((eb) => [eb.fn.sum<number>('duration_ms').as('ms'), eb.fn.sum<number>('size_bytes').as('bytes')])
    .executeTakeFirst();
  const ms = Number(row?.ms ?? 0);
  const bytes = Number(row?.bytes ?? 0);
  return ms > 0 && bytes > 0 ? ms / bytes : null;
}

/**
 * Processing tasks for operators. As in kbStats, a KB's name and its documents' file
 * names are shown only where the caller may read the KB; ids, states and steps always.
 */
export async function queueTasks(
  ctx: KbContext,
  filter: { status?: DocumentStatus | undefined; kb_id?: string | undefined; limit: number; offset: number },
  claims: AccessTokenClaims,
) {
  const snapshot = (db: KbContext['db']) => {
    let query = db.selectFrom('documents').innerJoin('knowledge_bases', 'knowledge_bases.id', 'documents.kb_id');
    query = filter.status
      ? query.where('documents.status', '=', filter.status)
      : query.where('documents.status', 'in', ['PENDING', 'PROCESSING']);
    if (filter.kb_id) query = query.where('documents.kb_id', '=', filter.kb_id);
    return Promise.all([
      query
        .select([...documentColumns.map((c) => `documents.${c}` as const), 'knowledge_bases.name as kb_name'])
        .orderBy('documents.updated_at', 'desc')
        .orderBy('documents.id')
        .limit(filter.limit)
        .offset(filter.offset)
        .execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
  };
  // The page and its total from one snapshot: two queries on two connections could disagree
  // (the list said "No failed documents" while the card said 1).
  const [[rows, count], rate] = await Promise.all([readSnapshot(ctx.db, snapshot), durationRate(ctx)]);
  const readable = await permissionsOf(ctx.db, [...new Set(rows.map((r) => r.kb_id))], claims);
  const items = (rows as (DocumentRow & { kb_name: string })[]).map((doc) => {
    const visible = readable.has(doc.kb_id);
    const startedAt = doc.processing_started_at ?? null;
    return {
      task_id: `${doc.id}:${doc.attempt}`,
      task_name: 'process_document',
      status: doc.status,
      started_at: startedAt ? startedAt.toISOString() : null,
      estimated_duration:
        doc.status === 'READY' || doc.status === 'FAILED'
          ? doc.duration_ms
          : rate !== null
            ? Math.max(100, Math.round(rate * Number(doc.size_bytes)))
            : null,
      processing_steps: doc.processing_steps,
      current_step: doc.current_step,
      step_errors: doc.step_errors ?? {},
      document_id: doc.id,
      kb_id: doc.kb_id,
      kb_name: visible ? doc.kb_name : null,
      filename: visible ? doc.filename : null,
      attempt: doc.attempt,
      error_message: doc.error_message,
      created_at: doc.created_at.toISOString(),
      updated_at: doc.updated_at.toISOString(),
    };
  });
  return { items, total: Number(count.n), limit: filter.limit, offset: filter.offset };
}

export interface BulkRetryInput {
  document_ids?: string[] | undefined;
  retry_all_failed?: boolean | undefined;
  kb_id?: string | undefined;
}

/**
 * Retries each selected document in its own transaction and reports every one that could
 * not be queued with its reason: queued + failed always equals the number selected.
 */
export async function bulkRetry(ctx: KbContext, input: BulkRetryInput, actor: { actor: Actor; requestId?: string }) {
  const hasIds = (input.document_ids?.length ?? 0) > 0;
  if (hasIds && input.retry_all_failed) {
    throw errors.INVALID_BULK_RETRY('Give either document_ids or retry_all_failed, not both');
  }
  if (!hasIds && !input.retry_all_failed) {
    throw errors.INVALID_BULK_RETRY(
      'Nothing selected: give document_ids, or retry_all_failed: true (optionally with kb_id)',
    );
  }
  if (input.kb_id) {
    const kb = await ctx.db.selectFrom('knowledge_bases').select('id').where('id', '=', input.kb_id).executeTakeFirst();
    if (!kb) throw errors.KB_NOT_FOUND(`Knowledge base ${input.kb_id} not found`, { kb_id: input.kb_id });
  }
  let ids: string[];
  if (hasIds) {
    ids = [...new Set(input.document_ids!.map((id) => id.toLowerCase()))];
  } else {
    let query = ctx.db.selectFrom('documents').select('id').where('status', '=', 'FAILED');
    if (input.kb_id) query = query.where('kb_id', '=', input.kb_id);
    ids = (await query.orderBy('updated_at').execute()).map((r) => r.id);
  }
  const failures: { document_id: string; code: string; error: string }[] = [];
  let queued = 0;
  for (const id of ids) {
    try {
      await ctx.db.transaction().execute((trx) => requeueFailedDocument(ctx, trx, id, 'bulk', actor, input.kb_id));
      queued++;
    } catch (error) {
      if (error instanceof AppError) {
        failures.push({
          document_id: id,
          code: error.code,
          error:
            input.kb_id && error.code === 'DOCUMENT_NOT_FOUND'
              ? 'Document not found in this knowledge base'
              : error.message,
        });
      } else {
        ctx.logger.error({ err: error, documentId: id }, 'bulk retry of a document failed');
        failures.push({
          document_id: id,
          code: 'INTERNAL_ERROR',
          error: 'The document could not be queued; try again',
        });
      }
    }
  }
  await recordAudit(
    ctx.db,
    'knowledge-base',
    {
      action: 'document.bulk_retry',
      resourceType: 'document',
      resourceId: null,
      outcome: failures.length === 0 ? 'success' : 'failure',
      newValue: { selected: ids.length, queued, failed: failures.length, kb_id: input.kb_id ?? null },
    },
    actor,
  );
  return { queued, failed: failures.length, errors: failures };
}

/**
 * Per-KB statistics. Operators (level 2) run the platform without being members of every
 * KB: they get ids and figures for all, but a KB's name only where they may read the KB
 * (the name is content, and often says whose it is). Administrators see every name.
 */
export async function kbStats(ctx: KbContext, claims: AccessTokenClaims) {
  const kbs = await ctx.db
    .selectFrom('knowledge_bases')
    .select(['id', 'name', 'collection', 'embedding_model_id', 'generation_model_id', 'created_at'])
    .orderBy('name')
    .execute();
  const ids = kbs.map((k) => k.id);
  const [counts, sums] = await Promise.all([
    documentCounts(ctx.db, ids),
    ids.length === 0
      ? Promise.resolve([])
      : ctx.db
          .selectFrom('documents')
          .select((eb) => [
            'kb_id',
            eb.fn.sum<number>('size_bytes').as('storage_bytes'),
            eb.fn
              .sum<number>(eb.case().when('status', '=', 'READY').then(eb.ref('chunk_count')).else(0).end())
              .as('chunks'),
            eb.fn.max('created_at').as('last_upload_at'),
          ])
          .where('kb_id', 'in', ids)
          .groupBy('kb_id')
          .execute(),
  ]);
  const byKb = new Map(sums.map((s) => [s.kb_id, s]));
  const readable = await permissionsOf(ctx.db, ids, claims);
  const items = await Promise.all(
    kbs.map(async (kb) => {
      const sum = byKb.get(kb.id);
      const [info, search] = await Promise.all([
        ctx.vectors.collectionInfo(kb.collection).catch(() => undefined),
        ctx.vectors.searchBackend(kb.collection).catch(() => null),
      ]);
      return {
        kb_id: kb.id,
        name: readable.has(kb.id) ? kb.name : null,
        documents: counts.get(kb.id) ?? emptyCounts(),
        chunk_count: Number(sum?.chunks ?? 0),
        vector_count: info ? info.points : null,
        vector_search: search,
        storage_bytes: Number(sum?.storage_bytes ?? 0),
        embedding_model_id: kb.embedding_model_id,
        generation_model_id: kb.generation_model_id,
        last_upload_at: sum?.last_upload_at ? new Date(sum.last_upload_at as Date).toISOString() : null,
        created_at: kb.created_at.toISOString(),
      };
    }),
  );
  const totals = items.reduce(
    (t, i) => ({
      knowledge_bases: t.knowledge_bases + 1,
      documents: t.documents + i.documents.total,
      chunks: t.chunks + i.chunk_count,
      storage_bytes: t.storage_bytes + i.storage_bytes,
    }),
    { knowledge_bases: 0, documents: 0, chunks: 0, storage_bytes: 0 },
  );
  return { items, totals };
}
