import { type Kysely, sql } from 'kysely';

/**
 * Per-minute request counters shared by every gateway replica. UNLOGGED: they are worth
 * nothing after a crash (a minute later they would have expired anyway), and skipping the
 * WAL keeps the one upsert per request cheap.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rate_limit_counters')
    .modifyFront(sql`unlogged`)
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limit_counters_pk', ['bucket', 'subject', 'window_start'])
    .execute();
  await db.schema
    .createIndex('rate_limit_counters_window_idx')
    .on('rate_limit_counters')
    .column('window_start')
    .execute();
}
