/** Request and response payloads of the group routes. */
import { GroupLevelSchema, type GroupSummary } from '@lumikb/contracts';
import { type Static, Type } from 'typebox';
import type { Group, GroupWithCount } from './repository.ts';

export const GroupViewSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  description: Type.String(),
  permission_level: GroupLevelSchema,
  /** Seeded default group: cannot be deleted, renamed or have its level changed. */
  is_system: Type.Boolean(),
  member_count: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
export type GroupView = Static<typeof GroupViewSchema>;

const GroupName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Description = Type.String({ maxLength: 1000 });

export const CreateGroupBody = Type.Object(
  {
    name: GroupName,
    description: Type.Optional(Description),
    permission_level: Type.Integer({ minimum: 1, maximum: 3, description: '1 User, 2 Operator, 3 Administrator' }),
  },
  { additionalProperties: false },
);

export const UpdateGroupBody = Type.Object(
  {
    name: Type.Optional(GroupName),
    description: Type.Optional(Description),
    permission_level: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const AddMemberBody = Type.Object({ user_id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export const MemberParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  userId: Type.String({ format: 'uuid' }),
});

export function toGroupView(group: GroupWithCount): GroupView {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    permission_level: group.permissionLevel,
    is_system: group.isSystem,
    member_count: group.memberCount,
    created_at: group.createdAt.toISOString(),
    updated_at: group.updatedAt.toISOString(),
  };
}

export function toGroupSummary(group: Group): GroupSummary {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    permission_level: group.permissionLevel,
    is_system: group.isSystem,
  };
}

export const groupAuditValue = (group: Group) => ({
  name: group.name,
  description: group.description,
  permission_level: group.permissionLevel,
  is_system: group.isSystem,
});
