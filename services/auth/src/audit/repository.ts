/** SQL for the audit trail: stored once per audit.recorded event, read with filters and paging. */
import type { AuditRecorded, EventOf } from '@lumikb/contracts';
import { type Kysely, readSnapshot, type Selectable, sql } from '@lumikb/db';
import { redactSecrets } from '@lumikb/service-kit';
import type { AuditLogTable, AuthDatabase } from '../db/database.ts';

type Db = Kysely<AuthDatabase>;

export async function insertAuditRecord(db: Db, event: EventOf<typeof AuditRecorded>): Promise<void> {
  const { data } = event;
  // Services redact before emitting; redacting again here means a service that forgot
  // cannot put a secret into the one place operators read.
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(redactSecrets(value)));
  await db
    .insertInto('audit_log')
    .values({
      id: event.id,
      occurred_at: new Date(event.occurredAt),
      service: data.service,
      action: data.action,
      outcome: data.outcome,
      resource_type: data.resource_type,
      resource_id: data.resource_id,
      actor_type: event.actor.type,
      actor_id: event.actor.id,
      actor_email: event.actor.email ?? null,
      request_id: event.requestId ?? null,
      ip: data.ip ?? null,
      old_value: json(data.old_value),
      new_value: json(data.new_value),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export interface AuditFilter {
  actor?: string;
  /** Whether `actor` may also match an e-mail address (administrators only). */
  actorByEmail?: boolean;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  service?: string;
  outcome?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function listAuditRecords(
  db: Db,
  filter: AuditFilter,
): Promise<{ rows: Selectable<AuditLogTable>[]; total: number }> {
  // The page and its total from one snapshot: two queries on two connections could count
  // a record that arrived between them (total 3 beside a page of 2).
  return readSnapshot(db, (trx) => pageAuditRecords(trx, filter));
}

async function pageAuditRecords(
  db: Db,
  filter: AuditFilter,
): Promise<{ rows: Selectable<AuditLogTable>[]; total: number }> {
  let query = db.selectFrom('audit_log');
  if (filter.actor) {
    const actor = filter.actor;
    query = filter.actorByEmail
      ? query.where((eb) =>
          eb.or([eb('actor_id', '=', actor), eb(sql<string>`lower(actor_email)`, '=', actor.toLowerCase())]),
        )
      : query.where('actor_id', '=', actor);
  }
  if (filter.action) {
    // `user.*` selects every action under a prefix.
    query = filter.action.endsWith('*')
      ? query.where('action', 'like', `${escapeLike(filter.action.slice(0, -1))}%`)
      : query.where('action', '=', filter.action);
  }
  if (filter.resourceType) query = query.where('resource_type', '=', filter.resourceType);
  if (filter.resourceId) query = query.where('resource_id', '=', filter.resourceId);
  if (filter.service) query = query.where('service', '=', filter.service);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (filter.from) query = query.where('occurred_at', '>=', filter.from);
  if (filter.to) query = query.where('occurred_at', '<', filter.to);
  const rows = await query
    .selectAll()
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit)
    .offset(filter.offset)
    .execute();
  const count = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { rows, total: Number(count.n) };
}
