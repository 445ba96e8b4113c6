/** model.* events → desired state (committed before the ack), then the worker is woken. */
import { ModelCreated, ModelDeleted, ModelUpdated, STREAMS } from '@lumikb/contracts';
import { projectionConsumer } from '@lumikb/events';
import type { ProxySyncContext } from '../context.ts';
import type { ProxySyncDatabase } from '../db/database.ts';

export const modelEventsConsumer = projectionConsumer<ProxySyncContext, ProxySyncDatabase>({
  stream: STREAMS.MODELS,
  durable: 'proxy-sync-models',
  events: [ModelCreated, ModelUpdated, ModelDeleted],
  // Events of one model may be applied concurrently or out of order: the repository
  // keeps the newest state (event_at guard) and a deletion is final.
  concurrency: 8,
  component: 'model-events',
  apply: (trx, event, ctx) => ctx.sync.applyEvent(trx, event),
  afterCommit: (_event, ctx) => ctx.sync.wake(),
});
