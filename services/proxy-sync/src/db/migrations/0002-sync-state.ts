import { type Kysely, sql } from 'kysely';

/**
 * The desired state of every model we have heard of (from model.* events or the
 * registry) and where its mirror in the LiteLLM proxy stands. A change is written here
 * before the event is acknowledged, so no change is lost while the proxy is down.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('models')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('api_endpoint', 'text')
    .addColumn('config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    // The registry's updated_at of the view we hold; stamped on the proxy entry as its version.
    .addColumn('model_updated_at', 'timestamptz')
    // Deleted models stay as tombstones so a late, redelivered event cannot resurrect them.
    .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
    // occurredAt of the newest event applied: older redeliveries are ignored.
    .addColumn('event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('pending', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('sync_state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`sync_state in ('pending', 'synced', 'failed', 'removed', 'not_applicable')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('synced_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index models_due on proxysync.models (next_attempt_at) where pending`.execute(db);
}
