/**
 * Audit events, written through the caller's outbox transaction so an audited change
 * and its audit record commit together. Secrets are redacted before anything leaves.
 */
import { type Actor, AuditRecorded } from '@lumikb/contracts';
import { type EventContext, type PendingEvent, pendingEvent, recordEvent } from '@lumikb/events';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';

const SECRET_KEY = /pass(word)?|secret|api[-_]?key|token|credential|authorization|private[-_]?key/i;
export const REDACTED = '[redacted]';

/** Deep copy with every secret-looking field replaced by `[redacted]`. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redactSecrets) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // `has_api_key` style booleans say whether a secret exists; they are not secrets.
      out[k] = SECRET_KEY.test(k) && typeof v !== 'boolean' && v !== null ? REDACTED : redactSecrets(v);
    }
    return out as T;
  }
  return value;
}

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId: string | null;
  outcome?: 'success' | 'failure';
  oldValue?: unknown;
  newValue?: unknown;
  ip?: string;
}

export async function recordAudit(
  // biome-ignore lint/suspicious/noExplicitAny: any service database with an outbox
  trx: Kysely<any>,
  service: string,
  entry: AuditEntry,
  context: EventContext,
): Promise<void> {
  const { def, data } = auditEvent(service, entry);
  await recordEvent(trx, def, data, context);
}

/** The audit event of an entry, to record together with others (`recordEvents`). */
export function auditEvent(service: string, entry: AuditEntry): PendingEvent<typeof AuditRecorded> {
  return pendingEvent(AuditRecorded, {
    action: entry.action,
    resource_type: entry.resourceType,
    resource_id: entry.resourceId,
    service,
    outcome: entry.outcome ?? 'success',
    ...(entry.oldValue !== undefined ? { old_value: redactSecrets(entry.oldValue) } : {}),
    ...(entry.newValue !== undefined ? { new_value: redactSecrets(entry.newValue) } : {}),
    ...(entry.ip ? { ip: entry.ip } : {}),
  });
}

/** Who did it and under which request id, for events written while serving a request. */
export function eventContextOf(request: FastifyRequest): EventContext {
  const claims = request.user;
  let actor: Actor;
  if (claims?.typ === 'access')
    actor = { type: 'user', id: claims.sub, ...(claims.email ? { email: claims.email } : {}) };
  else if (claims?.typ === 'service') actor = { type: 'service', id: claims.svc ?? claims.sub };
  else actor = { type: 'system', id: 'anonymous' };
  return { actor, requestId: request.id };
}

/** A source of short-lived service-identity tokens for calling other services' internal routes. */
export type ServiceTokenSource = () => Promise<string>;
