/** Applying an event at most once: a ledger row and the effect commit together. */
import type { Kysely, Transaction } from 'kysely';
import type { EventKitTables } from './outbox-schema.ts';

/**
 * Runs `effect` inside a transaction only if `consumer` has not applied `eventId`
 * before. Returns false when the event was a duplicate (nothing changed). The caller
 * acks the message after this resolves, i.e. after the commit.
 */
export async function applyOnce<DB>(
  db: Kysely<DB>,
  consumer: string,
  eventId: string,
  effect: (trx: Transaction<DB>) => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await (trx as unknown as Kysely<EventKitTables>)
      .insertInto('processed_events')
      .values({ consumer, event_id: eventId })
      .onConflict((oc) => oc.doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!inserted) return false;
    await effect(trx);
    return true;
  });
}
