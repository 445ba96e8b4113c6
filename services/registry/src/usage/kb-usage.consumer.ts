/** Keeps the KB-usage projection from `kb.created`, `kb.updated` and `kb.deleted`. */
import { type EventOf, KbCreated, KbDeleted, KbUpdated, STREAMS } from '@lumikb/contracts';
import { projectionConsumer } from '@lumikb/events';
import type { RegistryContext } from '../context.ts';
import type { RegistryDatabase } from '../db/database.ts';
import { markKbDeleted, upsertKb } from './repository.ts';

export const kbUsageConsumer = projectionConsumer<RegistryContext, RegistryDatabase>({
  stream: STREAMS.KB,
  durable: 'registry-kb-usage',
  events: [KbCreated, KbUpdated, KbDeleted],
  // One at a time keeps the stream's order; the occurredAt guard covers redeliveries.
  concurrency: 1,
  component: 'kb-usage',
  apply: async (trx, event) => {
    const occurredAt = new Date(event.occurredAt);
    if (event.type === KbDeleted.type) {
      await markKbDeleted(trx, (event as EventOf<typeof KbDeleted>).data.id, occurredAt);
    } else {
      await upsertKb(trx, (event as EventOf<typeof KbCreated>).data.kb, occurredAt);
    }
  },
});
