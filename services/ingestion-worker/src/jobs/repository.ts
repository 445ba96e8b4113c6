/** SQL of processing jobs: claim (lease), event sequence, finish. */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from '@lumikb/db';
import type { IngestionWorkerDatabase, JobStatus } from '../db/database.ts';

type Db = Kysely<IngestionWorkerDatabase>;

export interface Lease {
  documentId: string;
  attempt: number;
  token: string;
}

/**
 * Takes (or takes over) the job of (document, attempt). Returns undefined when the job
 * already finished (a redelivery of a message whose ack was lost): nothing to do.
 */
export async function claimJob(
  db: Db,
  job: { documentId: string; attempt: number; kbId: string; workerId: string },
): Promise<Lease | undefined> {
  const token = randomUUID();
  const row = await db
    .insertInto('jobs')
    .values({
      document_id: job.documentId,
      attempt: job.attempt,
      kb_id: job.kbId,
      status: 'running',
      worker_id: job.workerId,
      lease_token: token,
      deliveries: 1,
    })
    .onConflict((oc) =>
      oc
        .columns(['document_id', 'attempt'])
        .doUpdateSet({
          status: 'running',
          worker_id: job.workerId,
          lease_token: token,
          deliveries: sql`jobs.deliveries + 1`,
          heartbeat_at: sql`now()`,
          last_error: null,
        })
        .where('jobs.status', 'not in', ['done', 'failed']),
    )
    .returning('lease_token')
    .executeTakeFirst();
  return row ? { documentId: job.documentId, attempt: job.attempt, token } : undefined;
}

/** Next event sequence number, only while the lease is ours (undefined: another worker took over). */
export async function nextSeq(db: Db, lease: Lease): Promise<number | undefined> {
  const row = await db
    .updateTable('jobs')
    .set({ seq: sql`seq + 1`, heartbeat_at: sql`now()` })
    .where('document_id', '=', lease.documentId)
    .where('attempt', '=', lease.attempt)
    .where('lease_token', '=', lease.token)
    .where('status', 'in', ['running', 'retrying'])
    .returning('seq')
    .executeTakeFirst();
  return row?.seq;
}

export async function holdsLease(db: Db, lease: Lease): Promise<boolean> {
  const row = await db
    .selectFrom('jobs')
    .select('lease_token')
    .where('document_id', '=', lease.documentId)
    .where('attempt', '=', lease.attempt)
    .where('status', 'in', ['running', 'retrying'])
    .executeTakeFirst();
  return row?.lease_token === lease.token;
}

export async function setJobStatus(
  db: Db,
  lease: Lease,
  status: JobStatus,
  extra: { chunkCount?: number; error?: string } = {},
): Promise<boolean> {
  const row = await db
    .updateTable('jobs')
    .set({
      status,
      ...(extra.chunkCount !== undefined ? { chunk_count: extra.chunkCount } : {}),
      ...(extra.error !== undefined ? { last_error: extra.error.slice(0, 4_000) } : {}),
      ...(status === 'done' || status === 'failed' || status === 'abandoned' ? { finished_at: new Date() } : {}),
      heartbeat_at: sql`now()`,
    })
    .where('document_id', '=', lease.documentId)
    .where('attempt', '=', lease.attempt)
    .where('lease_token', '=', lease.token)
    .returning('status')
    .executeTakeFirst();
  return Boolean(row);
}

/**
 * Ends the job (done or failed) and takes the next event sequence number in one
 * statement, only while the lease is ours (undefined: another worker took over).
 */
export async function finishJob(
  db: Db,
  lease: Lease,
  status: 'done' | 'failed',
  extra: { chunkCount?: number; error?: string } = {},
): Promise<number | undefined> {
  const row = await db
    .updateTable('jobs')
    .set({
      seq: sql`seq + 1`,
      status,
      ...(extra.chunkCount !== undefined ? { chunk_count: extra.chunkCount } : {}),
      ...(extra.error !== undefined ? { last_error: extra.error.slice(0, 4_000) } : {}),
      finished_at: new Date(),
      heartbeat_at: sql`now()`,
    })
    .where('document_id', '=', lease.documentId)
    .where('attempt', '=', lease.attempt)
    .where('lease_token', '=', lease.token)
    .where('status', 'in', ['running', 'retrying'])
    .returning('seq')
    .executeTakeFirst();
  return row?.seq;
}
