/** model.* events → desired state (committed before the ack), then the worker is woken. */
import { ModelCreated, ModelDeleted, ModelUpdated, STREAMS } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { applyOnce, type EventBus, EventConsumer } from '@lumikb/events';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ProxySyncDatabase } from '../db/database.ts';
import type { SyncService } from './service.ts';

export const MODEL_EVENTS_CONSUMER = 'proxy-sync-models';

export function modelEventsConsumer(options: {
  bus: EventBus;
  db: Kysely<ProxySyncDatabase>;
  sync: SyncService;
  logger: Logger;
  registry?: Registry;
}): EventConsumer {
  return new EventConsumer({
    bus: options.bus,
    stream: STREAMS.MODELS,
    durable: MODEL_EVENTS_CONSUMER,
    events: [ModelCreated, ModelUpdated, ModelDeleted],
    logger: options.logger,
    ...(options.registry ? { registry: options.registry } : {}),
    // Events of one model may be applied concurrently or out of order: the repository
    // keeps the newest state (event_at guard) and a deletion is final.
    concurrency: 8,
    handle: async (event) => {
      await applyOnce(options.db, MODEL_EVENTS_CONSUMER, event.id, (trx) => options.sync.applyEvent(trx, event));
      options.sync.wake();
    },
  });
}
