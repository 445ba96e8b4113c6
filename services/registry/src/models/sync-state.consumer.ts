/** Shows per-model proxy state from proxy-sync's `model.synced` / `model.sync_failed`. */
import { type EventOf, ModelSynced, ModelSyncFailed, STREAMS } from '@lumikb/contracts';
import { projectionConsumer } from '@lumikb/events';
import type { RegistryContext } from '../context.ts';
import type { RegistryDatabase } from '../db/database.ts';
import { recordSyncResult } from './repository.ts';

export const syncStateConsumer = projectionConsumer<RegistryContext, RegistryDatabase>({
  stream: STREAMS.MODELS,
  durable: 'registry-sync-state',
  events: [ModelSynced, ModelSyncFailed],
  concurrency: 1,
  component: 'sync-state',
  apply: async (trx, event) => {
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
  },
});
