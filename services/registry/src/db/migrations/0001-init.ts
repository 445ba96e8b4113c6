import { createEventKitTables } from '@lumikb/events';
import type { Kysely } from 'kysely';

/** The outbox and the consumer ledger every service needs. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await createEventKitTables(db, 'registry');
}
