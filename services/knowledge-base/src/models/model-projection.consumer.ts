/**
 * Keeps the local model projection current from the registry's model.* events, in order
 * (concurrency 1) and at most once per event.
 */
import {
  type EventOf,
  ModelCreated,
  ModelDefaultChanged,
  ModelDeleted,
  ModelUpdated,
  STREAMS,
} from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { applyOnce, type EventBus, EventConsumer } from '@lumikb/events';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KnowledgeBaseDatabase } from '../db/database.ts';
import { applyModelView, markDeleted, setDefault } from './repository.ts';

export const MODELS_CONSUMER = 'knowledge-base-models';

export function createModelProjection(options: {
  db: Kysely<KnowledgeBaseDatabase>;
  bus: EventBus;
  logger: Logger;
  registry?: Registry;
  onChange?: () => void;
}): EventConsumer {
  const { db } = options;
  return new EventConsumer({
    bus: options.bus,
    stream: STREAMS.MODELS,
    durable: MODELS_CONSUMER,
    events: [ModelCreated, ModelUpdated, ModelDeleted, ModelDefaultChanged],
    concurrency: 1,
    logger: options.logger,
    ...(options.registry ? { registry: options.registry } : {}),
    handle: async (event) => {
      await applyOnce(db, MODELS_CONSUMER, event.id, async (trx) => {
        switch (event.type) {
          case ModelCreated.type:
          case ModelUpdated.type:
            await applyModelView(trx, (event as EventOf<typeof ModelCreated>).data.model);
            break;
          case ModelDeleted.type:
            await markDeleted(trx, (event as EventOf<typeof ModelDeleted>).data.id, new Date(event.occurredAt));
            break;
          case ModelDefaultChanged.type: {
            const data = (event as EventOf<typeof ModelDefaultChanged>).data;
            await setDefault(trx, data.type, data.model_id);
            break;
          }
        }
      });
      options.onChange?.();
    },
  });
}
