/** Answers queue monitoring's ping (core NATS request/reply) with this worker's presence. */
import { INGESTION_WORKERS_PING, type WorkerPresence } from '@lumikb/contracts';
import type { EventBus } from '@lumikb/events';
import type { Subscription } from 'nats';

export function answerPresence(bus: EventBus, presence: () => WorkerPresence): Subscription {
  return bus.nc.subscribe(bus.subject(INGESTION_WORKERS_PING), {
    callback: (error, msg) => {
      if (error) return;
      try {
        msg.respond(Buffer.from(JSON.stringify(presence())));
      } catch {
        // the asker went away
      }
    },
  });
}
