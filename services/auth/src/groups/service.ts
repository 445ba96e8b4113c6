/**
 * Group rules: the seeded system groups are protected, every user stays in Users, and
 * no change may leave the platform without an active administrator.
 */
import { DEFAULT_GROUPS, GroupCreated, GroupDeleted, GroupMembershipChanged, GroupUpdated } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { type EventContext, recordEvent } from '@lumikb/events';
import { audit } from '../audit/record.ts';
import type { AuthDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { revokeAccessTokens } from '../sessions/revocation.ts';
import * as users from '../users/repository.ts';
import { assertAdministratorRemains, getUser } from '../users/service.ts';
import * as repo from './repository.ts';
import { groupAuditValue, toGroupSummary } from './schemas.ts';

type Db = Kysely<AuthDatabase>;

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

export async function getGroup(db: Db, id: string): Promise<repo.GroupWithCount> {
  const group = await repo.findGroup(db, id);
  if (!group) throw errors.GROUP_NOT_FOUND(`Group ${id} not found`, { id });
  return group;
}

function nameTaken(name: string) {
  return errors.GROUP_NAME_TAKEN(`A group named "${name}" already exists`, { name });
}

export async function createGroup(
  db: Db,
  input: { name: string; description?: string; permissionLevel: number },
  context: EventContext,
): Promise<repo.GroupWithCount> {
  const name = input.name.trim();
  try {
    return await db.transaction().execute(async (trx) => {
      if (await repo.groupNameTaken(trx, name)) throw nameTaken(name);
      const group = await repo.insertGroup(trx, {
        name,
        description: input.description?.trim() ?? '',
        permissionLevel: input.permissionLevel,
      });
      await recordEvent(trx, GroupCreated, { group: toGroupSummary(group) }, context);
      await audit(
        trx,
        { action: 'group.create', resourceType: 'group', resourceId: group.id, newValue: groupAuditValue(group) },
        context,
      );
      return { ...group, memberCount: 0 };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(name);
    throw error;
  }
}

export async function updateGroup(
  db: Db,
  id: string,
  patch: { name?: string; description?: string; permissionLevel?: number },
  context: EventContext,
): Promise<repo.GroupWithCount> {
  try {
    return await db.transaction().execute(async (trx) => {
      if (patch.permissionLevel !== undefined) await users.lockAdministrators(trx);
      const before = await getGroup(trx, id);
      const changes: { name?: string; description?: string; permissionLevel?: number } = {};
      const name = patch.name?.trim();
      if (name !== undefined && name !== before.name) changes.name = name;
      if (patch.description !== undefined && patch.description.trim() !== before.description) {
        changes.description = patch.description.trim();
      }
      if (patch.permissionLevel !== undefined && patch.permissionLevel !== before.permissionLevel) {
        changes.permissionLevel = patch.permissionLevel;
      }
      if (before.isSystem && (changes.name !== undefined || changes.permissionLevel !== undefined)) {
        throw errors.SYSTEM_GROUP_PROTECTED(
          `${before.name} is a system group: its name and permission level cannot change`,
          { id, fields: Object.keys(changes).filter((k) => k !== 'description') },
        );
      }
      if (Object.keys(changes).length === 0) return before;
      if (changes.name !== undefined && (await repo.groupNameTaken(trx, changes.name, id))) {
        throw nameTaken(changes.name);
      }
      const membersBefore =
        changes.permissionLevel !== undefined ? await levelsOf(trx, await repo.memberIds(trx, id)) : undefined;
      await repo.updateGroup(trx, id, changes);
      if (changes.permissionLevel !== undefined && changes.permissionLevel < before.permissionLevel) {
        await assertAdministratorRemains(trx, `Cannot lower the level of group ${before.name}`);
        if (membersBefore) await revokeWhereLevelDropped(trx, membersBefore, context);
      }
      const after = await getGroup(trx, id);
      const changed = Object.keys(changes).map((k) => (k === 'permissionLevel' ? 'permission_level' : k));
      await recordEvent(trx, GroupUpdated, { group: toGroupSummary(after), changed_fields: changed }, context);
      await audit(
        trx,
        {
          action: 'group.update',
          resourceType: 'group',
          resourceId: id,
          oldValue: groupAuditValue(before),
          newValue: groupAuditValue(after),
        },
        context,
      );
      return after;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(patch.name?.trim() ?? '');
    throw error;
  }
}

export async function deleteGroup(db: Db, id: string, context: EventContext): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await users.lockAdministrators(trx);
    const group = await getGroup(trx, id);
    if (group.isSystem) {
      throw errors.SYSTEM_GROUP_PROTECTED(`${group.name} is a system group and cannot be deleted`, { id });
    }
    const members = await repo.memberIds(trx, id);
    const levelsBefore = await levelsOf(trx, members);
    await repo.deleteGroup(trx, id);
    await assertAdministratorRemains(trx, `Cannot delete group ${group.name}`);
    await recordEvent(trx, GroupDeleted, { id, member_ids: members }, context);
    const after = await users.groupsOf(trx, members);
    for (const userId of members) {
      const groups = after.get(userId) ?? [];
      if (users.effectiveLevel(groups) < (levelsBefore.get(userId) ?? 0)) {
        await revokeAccessTokens(trx, userId, 'access_reduced', context);
      }
      await recordEvent(
        trx,
        GroupMembershipChanged,
        {
          group_id: id,
          user_id: userId,
          change: 'removed',
          group_ids: groups.map((g) => g.id),
          permission_level: users.effectiveLevel(groups),
        },
        context,
      );
    }
    await audit(
      trx,
      {
        action: 'group.delete',
        resourceType: 'group',
        resourceId: id,
        oldValue: { ...groupAuditValue(group), member_count: members.length },
      },
      context,
    );
  });
}

const membershipValue = (user: users.UserWithGroups) => ({
  email: user.email,
  groups: user.groups.map((g) => g.name),
  permission_level: user.level,
});

export async function addMember(
  db: Db,
  groupId: string,
  userId: string,
  context: EventContext,
): Promise<users.UserWithGroups> {
  return db.transaction().execute(async (trx) => {
    const group = await getGroup(trx, groupId);
    const before = await getUser(trx, userId);
    if (!(await users.addMembership(trx, userId, groupId))) {
      throw errors.ALREADY_MEMBER(`${before.email} is already a member of ${group.name}`, {
        group_id: groupId,
        user_id: userId,
      });
    }
    const after = (await users.findUserWithGroups(trx, userId))!;
    await membershipChanged(trx, group, before, after, 'added', context);
    return after;
  });
}

export async function removeMember(db: Db, groupId: string, userId: string, context: EventContext): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await users.lockAdministrators(trx);
    const group = await getGroup(trx, groupId);
    const before = await getUser(trx, userId);
    if (!(await repo.isMember(trx, groupId, userId))) {
      throw errors.MEMBERSHIP_NOT_FOUND(`${before.email} is not a member of ${group.name}`, {
        group_id: groupId,
        user_id: userId,
      });
    }
    if (groupId === DEFAULT_GROUPS.USERS.id) {
      throw errors.DEFAULT_GROUP_MEMBERSHIP(
        'Every user belongs to Users; deactivate the user to take away their access',
        { group_id: groupId, user_id: userId },
      );
    }
    await users.removeMembership(trx, userId, groupId);
    await assertAdministratorRemains(trx, `Cannot remove ${before.email} from ${group.name}`);
    const after = (await users.findUserWithGroups(trx, userId))!;
    // Tokens carry the old level: every service must stop honouring them now.
    if (after.level < before.level) await revokeAccessTokens(trx, userId, 'access_reduced', context);
    await membershipChanged(trx, group, before, after, 'removed', context);
  });
}

async function membershipChanged(
  trx: Db,
  group: repo.Group,
  before: users.UserWithGroups,
  after: users.UserWithGroups,
  change: 'added' | 'removed',
  context: EventContext,
): Promise<void> {
  await recordEvent(
    trx,
    GroupMembershipChanged,
    {
      group_id: group.id,
      user_id: after.id,
      change,
      group_ids: after.groups.map((g) => g.id),
      permission_level: after.level,
    },
    context,
  );
  await audit(
    trx,
    {
      action: change === 'added' ? 'group.member_add' : 'group.member_remove',
      resourceType: 'user',
      resourceId: after.id,
      oldValue: membershipValue(before),
      newValue: { ...membershipValue(after), group: group.name },
    },
    context,
  );
}

/** Each user's effective level now. */
async function levelsOf(trx: Db, userIds: string[]): Promise<Map<string, number>> {
  const groups = await users.groupsOf(trx, userIds);
  return new Map(userIds.map((id) => [id, users.effectiveLevel(groups.get(id) ?? [])]));
}

/** Revokes the tokens of those whose level is now lower than in `before` (their tokens claim more). */
async function revokeWhereLevelDropped(trx: Db, before: Map<string, number>, context: EventContext): Promise<void> {
  const now = await levelsOf(trx, [...before.keys()]);
  for (const [userId, level] of before) {
    if ((now.get(userId) ?? 0) < level) await revokeAccessTokens(trx, userId, 'access_reduced', context);
  }
}
