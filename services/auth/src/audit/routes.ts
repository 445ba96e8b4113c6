/** `GET /api/v1/admin/audit` (level 2, an operations route): the platform's audit trail. */
import { caller, errorResponses, type ServiceApp } from '@lumikb/service-kit';
import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { operatorView } from './operator-view.ts';
import { listAuditRecords } from './repository.ts';
import { AuditPageSchema, AuditQuery } from './schemas.ts';

export function registerAuditRoutes(app: ServiceApp, deps: { db: Kysely<AuthDatabase> }): void {
  app.get(
    '/api/v1/admin/audit',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['audit'],
        summary: 'Audit records of every service, newest first',
        description:
          'Who did what to which resource, when, under which request id; secrets are redacted. Below level 3 (operators) e-mails are masked, client IPs cut to /24 or /48, names of users, KBs and documents hidden, and `actor` matches ids only.',
        querystring: AuditQuery,
        response: { 200: AuditPageSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      // Operators may not look people up by e-mail: that would confirm who is on the platform.
      const isAdmin = (caller(request).lvl ?? 0) >= 3;
      const from = q.from ? new Date(q.from) : undefined;
      const to = q.to ? new Date(q.to) : undefined;
      if (from && to && from > to) {
        throw errors.INVALID_TIME_RANGE('`from` must not be after `to`', { from: q.from, to: q.to });
      }
      const page = await listAuditRecords(deps.db, {
        limit: q.limit,
        offset: q.offset,
        ...(q.actor ? { actor: q.actor, actorByEmail: isAdmin } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.resource_type ? { resourceType: q.resource_type } : {}),
        ...(q.resource_id ? { resourceId: q.resource_id } : {}),
        ...(q.service ? { service: q.service } : {}),
        ...(q.outcome ? { outcome: q.outcome } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      });
      const items = page.rows.map((r) => ({
        id: r.id,
        occurred_at: r.occurred_at.toISOString(),
        service: r.service,
        action: r.action,
        outcome: r.outcome,
        resource_type: r.resource_type,
        resource_id: r.resource_id,
        actor: { type: r.actor_type, id: r.actor_id, email: r.actor_email },
        request_id: r.request_id,
        ip: r.ip,
        old_value: r.old_value ?? null,
        new_value: r.new_value ?? null,
      }));
      return {
        items: isAdmin ? items : items.map(operatorView),
        total: page.total,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );
}
