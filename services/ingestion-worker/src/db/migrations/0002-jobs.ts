import { type Kysely, sql } from 'kysely';

/**
 * Processing jobs: one row per (document, attempt). The row is the worker's lease (the
 * token of the worker holding it), the sequence of the events it publishes, and the
 * ledger that makes a redelivered, already finished job a no-op.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('document_id', 'uuid', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('kb_id', 'uuid', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('running', 'retrying', 'done', 'failed', 'abandoned')`),
    )
    .addColumn('worker_id', 'text', (c) => c.notNull())
    .addColumn('lease_token', 'uuid', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deliveries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('chunk_count', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addPrimaryKeyConstraint('jobs_pk', ['document_id', 'attempt'])
    .execute();
  await db.schema.createIndex('jobs_status_idx').on('jobs').columns(['status', 'heartbeat_at']).execute();
}
