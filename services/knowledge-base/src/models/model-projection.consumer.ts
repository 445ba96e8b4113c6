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
import { projectionConsumer } from '@lumikb/events';
import type { KbContext } from '../context.ts';
import type { KnowledgeBaseDatabase } from '../db/database.ts';
import { applyModelView, markDeleted, setDefault } from './repository.ts';

export const modelProjectionConsumer = projectionConsumer<KbContext, KnowledgeBaseDatabase>({
  stream: STREAMS.MODELS,
  durable: 'knowledge-base-models',
  events: [ModelCreated, ModelUpdated, ModelDeleted, ModelDefaultChanged],
  concurrency: 1,
  component: 'model-projection',
  apply: async (trx, event) => {
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
  },
});
