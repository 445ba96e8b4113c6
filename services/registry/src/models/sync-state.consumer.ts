/** Shows per-model proxy state from proxy-sync's `model.synced` / `model.sync_failed`. */
import { type EventOf, ModelSynced, ModelSyncFailed, STREAMS } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { applyOnce, type EventBus, EventConsumer } from '@lumikb/events';
import type { Registry } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import type { RegistryDatabase } from '../db/database.ts';
import { recordSyncResult } from './repository.ts';

export const SYNC_STATE_CONSUMER = 'registry-sync-state';

export function syncStateConsumer(options: {
  bus: EventBus;
  db: Kysely<RegistryDatabase>;
  logger: Logger;
  registry?: Registry;
}): EventConsumer {
  const { db } = options;
  return new EventConsumer({
    bus: options.bus,
    stream: STREAMS.MODELS,
    durable: SYNC_STATE_CONSUMER,
    events: [ModelSynced, ModelSyncFailed],
    logger: options.logger,
    ...(options.registry ? { registry: options.registry } : {}),
    concurrency: 1,
    handle: async (event) => {
      await applyOnce(db, SYNC_STATE_CONSUMER, event.id, async (trx) => {
        if (event.type === ModelSynced.type) {
          const data = (event as EventOf<typeof ModelSynced>).data;
          await recordSyncResult(trx, data.id, { status: 'synced', at: new Date(data.synced_at), error: null });
        } else {
          const data = (event as EventOf<typeof ModelSyncFailed>).data;
          await recordSyncResult(trx, data.id, {
            status: 'failed',
            at: new Date(event.occurredAt),
            error: `${data.error} (after ${data.attempts} attempt${data.attempts === 1 ? '' : 's'})`.slice(0, 2_000),
          });
        }
      });
    },
  });
}
