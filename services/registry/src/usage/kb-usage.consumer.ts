/** Keeps the KB-usage projection from `kb.created`, `kb.updated` and `kb.deleted`. */
import { type EventOf, KbCreated, KbDeleted, KbUpdated, STREAMS } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { applyOnce, type EventBus, EventConsumer } from '@lumikb/events';
import type { Registry } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import type { RegistryDatabase } from '../db/database.ts';
import { markKbDeleted, upsertKb } from './repository.ts';

export const KB_USAGE_CONSUMER = 'registry-kb-usage';

export function kbUsageConsumer(options: {
  bus: EventBus;
  db: Kysely<RegistryDatabase>;
  logger: Logger;
  registry?: Registry;
}): EventConsumer {
  const { db } = options;
  return new EventConsumer({
    bus: options.bus,
    stream: STREAMS.KB,
    durable: KB_USAGE_CONSUMER,
    events: [KbCreated, KbUpdated, KbDeleted],
    logger: options.logger,
    ...(options.registry ? { registry: options.registry } : {}),
    // One at a time keeps the stream's order; the occurredAt guard covers redeliveries.
    concurrency: 1,
    handle: async (event) => {
      const occurredAt = new Date(event.occurredAt);
      await applyOnce(db, KB_USAGE_CONSUMER, event.id, async (trx) => {
        if (event.type === KbDeleted.type) {
          await markKbDeleted(trx, (event as EventOf<typeof KbDeleted>).data.id, occurredAt);
        } else {
          await upsertKb(trx, (event as EventOf<typeof KbCreated>).data.kb, occurredAt);
        }
      });
    },
  });
}
