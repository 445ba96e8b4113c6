/** Stores every service's audit.recorded events (stream AUDIT) in the audit trail, once each. */
import { AuditRecorded, type EventOf, STREAMS } from '@lumikb/contracts';
import { projectionConsumer } from '@lumikb/events';
import type { AuthContext } from '../context.ts';
import type { AuthDatabase } from '../db/database.ts';
import { insertAuditRecord } from './repository.ts';

export const auditTrailConsumer = projectionConsumer<AuthContext, AuthDatabase>({
  stream: STREAMS.AUDIT,
  durable: 'auth-audit-trail',
  events: [AuditRecorded],
  concurrency: 8,
  component: 'audit-consumer',
  apply: (trx, event) => insertAuditRecord(trx, event as EventOf<typeof AuditRecorded>),
  onTerminated: (failure, log) => log.error({ failure }, 'an audit record could not be stored and was given up on'),
});
