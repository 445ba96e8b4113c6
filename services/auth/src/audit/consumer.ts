/** Stores every service's audit.recorded events (stream AUDIT) in the audit trail, once each. */
import { AuditRecorded, type EventOf, STREAMS } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { applyOnce, type EventBus, EventConsumer } from '@lumikb/events';
import type { Registry } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import type { AuthDatabase } from '../db/database.ts';
import { insertAuditRecord } from './repository.ts';

export const AUDIT_CONSUMER = 'auth-audit-trail';

export function createAuditConsumer(options: {
  db: Kysely<AuthDatabase>;
  bus: EventBus;
  logger: Logger;
  registry?: Registry;
}): EventConsumer {
  const { db } = options;
  return new EventConsumer({
    bus: options.bus,
    stream: STREAMS.AUDIT,
    durable: AUDIT_CONSUMER,
    events: [AuditRecorded],
    logger: options.logger,
    ...(options.registry ? { registry: options.registry } : {}),
    concurrency: 8,
    handle: async (event) => {
      await applyOnce(db, AUDIT_CONSUMER, event.id, (trx) =>
        insertAuditRecord(trx, event as EventOf<typeof AuditRecorded>),
      );
    },
    onTerminated: (failure) => {
      options.logger.error({ failure }, 'an audit record could not be stored and was given up on');
    },
  });
}
