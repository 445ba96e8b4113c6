/** Routes: grants of a KB (managed by its admins) and the platform-wide grant overview (admins). */
import type { AccessTokenClaims } from '@lumikb/contracts';
import type { EventContext } from '@lumikb/events';
import { caller, errorResponses, eventContextOf, recordAudit, type ServiceApp } from '@lumikb/service-kit';
import type { KbContext } from '../context.ts';
import type { KbPermissionLevel } from '../db/database.ts';
import { errors } from '../errors.ts';
import { KbIdParams } from '../knowledge-bases/schemas.ts';
import { adminCount, deleteGrant, findGrant, listAllGrants, listGrants, upsertGrant } from './repository.ts';
import {
  AdminGrantListSchema,
  AdminGrantQuery,
  GrantBodySchema,
  GrantListSchema,
  GrantParams,
  GrantSchema,
} from './schemas.ts';
import { requirePermission } from './service.ts';

const tags = ['kb-permissions'];

type GrantRow = Awaited<ReturnType<typeof listGrants>>[number];
const toGrant = <R extends GrantRow>(row: R) => ({
  ...row,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

async function setGrant(
  ctx: KbContext,
  claims: AccessTokenClaims,
  params: { id: string; principalType: 'user' | 'group'; principalId: string },
  permission: KbPermissionLevel | null,
  event: EventContext,
) {
  await requirePermission(ctx.db, params.id, claims, 'ADMIN');
  return ctx.db.transaction().execute(async (trx) => {
    await trx.selectFrom('knowledge_bases').select('id').where('id', '=', params.id).forUpdate().execute();
    const before = await findGrant(trx, params.id, params.principalType, params.principalId);
    if (permission === null && !before) {
      throw errors.GRANT_NOT_FOUND(`No grant for ${params.principalType} ${params.principalId} on this knowledge base`);
    }
    const losesAdmin = before?.permission === 'ADMIN' && permission !== 'ADMIN';
    if (losesAdmin && (await adminCount(trx, params.id)) <= 1) {
      throw errors.LAST_KB_ADMIN(
        'A knowledge base must keep at least one ADMIN grant; grant ADMIN to someone else first',
        {
          kb_id: params.id,
        },
      );
    }
    const after =
      permission === null
        ? undefined
        : await upsertGrant(trx, {
            kb_id: params.id,
            principal_type: params.principalType,
            principal_id: params.principalId,
            permission,
            granted_by: claims.sub,
          });
    if (permission === null) await deleteGrant(trx, params.id, params.principalType, params.principalId);
    await recordAudit(
      trx,
      'knowledge-base',
      {
        action: permission === null ? 'kb.permission.revoke' : 'kb.permission.grant',
        resourceType: 'knowledge_base',
        resourceId: params.id,
        oldValue: before ? { [`${before.principal_type}:${before.principal_id}`]: before.permission } : null,
        newValue: after ? { [`${after.principal_type}:${after.principal_id}`]: after.permission } : null,
      },
      event,
    );
    return after;
  });
}

export function registerPermissionRoutes(app: ServiceApp, ctx: KbContext): void {
  app.get(
    '/api/v1/knowledge-bases/:id/permissions',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Grants on a knowledge base (ADMIN on the KB)',
        params: KbIdParams,
        response: { 200: GrantListSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requirePermission(ctx.db, request.params.id, caller(request), 'ADMIN');
      return { items: (await listGrants(ctx.db, request.params.id)).map(toGrant) };
    },
  );

  app.put(
    '/api/v1/knowledge-bases/:id/permissions/:principalType/:principalId',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Grant READ, WRITE or ADMIN to a user or group (ADMIN on the KB)',
        params: GrantParams,
        body: GrantBodySchema,
        response: { 200: GrantSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const grant = await setGrant(
        ctx,
        caller(request),
        request.params,
        request.body.permission,
        eventContextOf(request),
      );
      return toGrant(grant!);
    },
  );

  app.delete(
    '/api/v1/knowledge-bases/:id/permissions/:principalType/:principalId',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Revoke a grant (ADMIN on the KB)',
        params: GrantParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await setGrant(ctx, caller(request), request.params, null, eventContextOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/admin/kb-permissions',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Every grant on every knowledge base, filterable by principal or KB (administrators)',
        querystring: AdminGrantQuery,
        response: { 200: AdminGrantListSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { rows, total } = await listAllGrants(ctx.db, request.query);
      return { items: rows.map(toGrant), total, limit: request.query.limit, offset: request.query.offset };
    },
  );
}
