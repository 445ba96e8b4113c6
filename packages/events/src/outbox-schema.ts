/**
 * Tables the event kit needs inside every service's schema: the transactional outbox
 * and the consumer de-duplication ledger. Services call these from their migrations.
 */
import { type ColumnType, type Generated, type Kysely, sql } from 'kysely';

export interface OutboxTable {
  id: string;
  subject: string;
  /** The full event envelope (JSON text on insert, parsed object on select). */
  payload: ColumnType<unknown, string, string>;
  created_at: Generated<Date>;
  sent_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
}

export interface ProcessedEventTable {
  consumer: string;
  event_id: string;
  processed_at: Generated<Date>;
}

export interface EventKitTables {
  outbox: OutboxTable;
  processed_events: ProcessedEventTable;
}

/** Notification channel the relay listens on so it publishes without polling delay. */
export function outboxChannel(schema: string): string {
  return `lumikb_outbox_${schema}`;
}

// biome-ignore lint/suspicious/noExplicitAny: migrations take an untyped Kysely by design
export async function createEventKitTables(db: Kysely<any>, schema: string): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();
  await sql`create index outbox_unsent_idx on ${sql.id(schema, 'outbox')} (created_at) where sent_at is null`.execute(
    db,
  );
  // Wake the relay on commit: NOTIFY is delivered only when the transaction commits,
  // so an event of a rolled-back transaction never even wakes it.
  await sql
    .raw(
      `create function "${schema}".outbox_notify() returns trigger language plpgsql as $$
       begin perform pg_notify('${outboxChannel(schema)}', ''); return null; end $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create trigger outbox_notify after insert on "${schema}".outbox
       for each statement execute function "${schema}".outbox_notify()`,
    )
    .execute(db);

  await db.schema
    .createTable('processed_events')
    .addColumn('consumer', 'text', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('processed_events_pk', ['consumer', 'event_id'])
    .execute();
}
