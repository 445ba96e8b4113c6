/** `/api/v1/admin/users*` (level 3): account administration. */
import { errorResponses, eventContextOf, type ServiceApp, UuidParam } from '@lumikb/service-kit';
import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/database.ts';
import { listUsers, withGroups } from './repository.ts';
import {
  CreateUserBody,
  ResetPasswordBody,
  toUserView,
  UpdateUserBody,
  UserListQuery,
  UserListSchema,
  UserViewSchema,
} from './schemas.ts';
import { createUser, getUser, setActive, setPassword, updateProfile } from './service.ts';

const TAGS = ['users'];
const admin = { access: 'admin' as const };

export function registerUserRoutes(app: ServiceApp, deps: { db: Kysely<AuthDatabase> }): void {
  const { db } = deps;

  app.get(
    '/api/v1/admin/users',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'List and search users',
        querystring: UserListQuery,
        response: { 200: UserListSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { q, is_active, group_id, limit, offset } = request.query;
      const page = await listUsers(db, {
        limit,
        offset,
        ...(q ? { q } : {}),
        ...(is_active !== undefined ? { isActive: is_active } : {}),
        ...(group_id ? { groupId: group_id } : {}),
      });
      const items = await withGroups(db, page.users);
      return { items: items.map(toUserView), total: page.total, limit, offset };
    },
  );

  app.post(
    '/api/v1/admin/users',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'Create a user (joins Users, plus any groups given)',
        body: CreateUserBody,
        response: { 201: UserViewSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { email, name, password, group_ids } = request.body;
      const user = await createUser(
        db,
        { email, password, ...(name !== undefined ? { name } : {}), ...(group_ids ? { groupIds: group_ids } : {}) },
        eventContextOf(request),
      );
      return reply.status(201).send(toUserView(user));
    },
  );

  app.get(
    '/api/v1/admin/users/:id',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'One user with groups and effective level',
        params: UuidParam,
        response: { 200: UserViewSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => toUserView(await getUser(db, request.params.id)),
  );

  app.patch(
    '/api/v1/admin/users/:id',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: "Change a user's email or name",
        params: UuidParam,
        body: UpdateUserBody,
        response: { 200: UserViewSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { email, name } = request.body;
      const user = await updateProfile(
        db,
        request.params.id,
        { ...(email !== undefined ? { email } : {}), ...(name !== undefined ? { name } : {}) },
        eventContextOf(request),
      );
      return toUserView(user);
    },
  );

  app.post(
    '/api/v1/admin/users/:id/deactivate',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'Deactivate a user: sign-in refused, every session revoked',
        description: '409 LAST_ADMIN when this would leave no active administrator.',
        params: UuidParam,
        response: { 200: UserViewSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => toUserView(await setActive(db, request.params.id, false, eventContextOf(request))),
  );

  app.post(
    '/api/v1/admin/users/:id/reactivate',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'Reactivate a deactivated user',
        params: UuidParam,
        response: { 200: UserViewSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => toUserView(await setActive(db, request.params.id, true, eventContextOf(request))),
  );

  app.post(
    '/api/v1/admin/users/:id/reset-password',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: "Set a new password for a user; every one of the user's sessions ends",
        params: UuidParam,
        body: ResetPasswordBody,
        response: { 200: UserViewSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      toUserView(
        await setPassword(db, request.params.id, request.body.password, eventContextOf(request), 'user.password_reset'),
      ),
  );
}
