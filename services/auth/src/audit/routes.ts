/** `GET /api/v1/admin/audit` (level 2, an operations route): the platform's audit trail. */
import { errorResponses, type ServiceApp } from '@lumikb/service-kit';
import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
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
        description: 'Who did what to which resource, when, under which request id; secrets are redacted.',
        querystring: AuditQuery,
        response: { 200: AuditPageSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const from = q.from ? new Date(q.from) : undefined;
      const to = q.to ? new Date(q.to) : undefined;
      if (from && to && from > to) {
        throw errors.INVALID_TIME_RANGE('`from` must not be after `to`', { from: q.from, to: q.to });
      }
      const page = await listAuditRecords(deps.db, {
        limit: q.limit,
        offset: q.offset,
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.resource_type ? { resourceType: q.resource_type } : {}),
        ...(q.resource_id ? { resourceId: q.resource_id } : {}),
        ...(q.service ? { service: q.service } : {}),
        ...(q.outcome ? { outcome: q.outcome } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      });
      return {
        items: page.rows.map((r) => ({
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
        })),
        total: page.total,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );
}
