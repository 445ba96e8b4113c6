/** Audit records written by auth itself (through its outbox, like every other service). */
import type { EventContext } from '@lumikb/events';
import { type AuditEntry, recordAudit } from '@lumikb/service-kit';
import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/database.ts';

export const AUTH_SERVICE = 'auth';

export function audit(trx: Kysely<AuthDatabase>, entry: AuditEntry, context: EventContext): Promise<void> {
  return recordAudit(trx, AUTH_SERVICE, entry, context);
}
