/** `/api/v1/admin/groups*` (level 3): groups, their levels and members. */
import { errorResponses, eventContextOf, PageQuery, type ServiceApp, UuidParam } from '@lumikb/service-kit';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { AuthDatabase } from '../db/database.ts';
import { listUsers, withGroups } from '../users/repository.ts';
import { toUserView, UserListSchema, UserViewSchema } from '../users/schemas.ts';
import { listGroups } from './repository.ts';
import {
  AddMemberBody,
  CreateGroupBody,
  GroupViewSchema,
  MemberParams,
  toGroupView,
  UpdateGroupBody,
} from './schemas.ts';
import { addMember, createGroup, deleteGroup, getGroup, removeMember, updateGroup } from './service.ts';

const TAGS = ['groups'];
const admin = { access: 'admin' as const };

export function registerGroupRoutes(app: ServiceApp, deps: { db: Kysely<AuthDatabase> }): void {
  const { db } = deps;

  app.get(
    '/api/v1/admin/groups',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'All groups with their permission level and member count',
        response: { 200: Type.Object({ items: Type.Array(GroupViewSchema) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ items: (await listGroups(db)).map(toGroupView) }),
  );

  app.post(
    '/api/v1/admin/groups',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'Create a group',
        body: CreateGroupBody,
        response: { 201: GroupViewSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { name, description, permission_level } = request.body;
      const group = await createGroup(
        db,
        { name, permissionLevel: permission_level, ...(description !== undefined ? { description } : {}) },
        eventContextOf(request),
      );
      return reply.status(201).send(toGroupView(group));
    },
  );

  app.get(
    '/api/v1/admin/groups/:id',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'One group',
        params: UuidParam,
        response: { 200: GroupViewSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => toGroupView(await getGroup(db, request.params.id)),
  );

  app.patch(
    '/api/v1/admin/groups/:id',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'Rename a group or change its description or level',
        description:
          'System groups keep their name and level (409 SYSTEM_GROUP_PROTECTED). Lowering a level that would leave ' +
          'no active administrator is refused (409 LAST_ADMIN).',
        params: UuidParam,
        body: UpdateGroupBody,
        response: { 200: GroupViewSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { name, description, permission_level } = request.body;
      const group = await updateGroup(
        db,
        request.params.id,
        {
          ...(name !== undefined ? { name } : {}),
          ...(description !== undefined ? { description } : {}),
          ...(permission_level !== undefined ? { permissionLevel: permission_level } : {}),
        },
        eventContextOf(request),
      );
      return toGroupView(group);
    },
  );

  app.delete(
    '/api/v1/admin/groups/:id',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'Delete a group (its members lose the level it granted)',
        params: UuidParam,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await deleteGroup(db, request.params.id, eventContextOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/admin/groups/:id/members',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'Members of a group',
        params: UuidParam,
        querystring: PageQuery,
        response: { 200: UserListSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await getGroup(db, request.params.id);
      const { limit, offset } = request.query;
      const page = await listUsers(db, { groupId: request.params.id, limit, offset });
      return { items: (await withGroups(db, page.users)).map(toUserView), total: page.total, limit, offset };
    },
  );

  app.post(
    '/api/v1/admin/groups/:id/members',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'Add a user to a group',
        params: UuidParam,
        body: AddMemberBody,
        response: { 201: UserViewSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const user = await addMember(db, request.params.id, request.body.user_id, eventContextOf(request));
      return reply.status(201).send(toUserView(user));
    },
  );

  app.delete(
    '/api/v1/admin/groups/:id/members/:userId',
    {
      config: admin,
      schema: {
        tags: TAGS,
        summary: 'Remove a user from a group',
        description:
          '404 MEMBERSHIP_NOT_FOUND when the user is not a member; 409 LAST_ADMIN when it would leave no active ' +
          'administrator; 409 DEFAULT_GROUP_MEMBERSHIP for Users, which every user belongs to.',
        params: MemberParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await removeMember(db, request.params.id, request.params.userId, eventContextOf(request));
      return reply.status(204).send(null);
    },
  );
}
