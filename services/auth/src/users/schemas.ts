/** Request and response payloads of the user routes, and the mapping to them. */
import { EffectiveLevelSchema, GroupLevelSchema, type UserSummary } from '@lumikb/contracts';
import { PageQuery } from '@lumikb/service-kit';
import { type Static, Type } from 'typebox';
import { PASSWORD_MAX_LENGTH, PASSWORD_RULE } from '../security/passwords.ts';
import type { UserWithGroups } from './repository.ts';

export const EmailSchema = Type.String({
  format: 'email',
  maxLength: 254,
  description: 'unique, compared case-insensitively; e.g. x@company.local',
});
export const NameSchema = Type.String({ maxLength: 200 });
export const PasswordSchema = Type.String({
  minLength: 1,
  maxLength: PASSWORD_MAX_LENGTH * 4,
  description: `Rule: ${PASSWORD_RULE}`,
});

export const GroupRefSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  permission_level: GroupLevelSchema,
  is_system: Type.Boolean(),
});

export const UserViewSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  is_active: Type.Boolean(),
  /** MAX over the user's groups. */
  permission_level: EffectiveLevelSchema,
  groups: Type.Array(GroupRefSchema),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  last_login_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type UserView = Static<typeof UserViewSchema>;

export const UserListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200, description: 'matches email or name (substring, any case)' })),
  is_active: Type.Optional(Type.Boolean()),
  group_id: Type.Optional(Type.String({ format: 'uuid' })),
  ...PageQuery.properties,
});

export const UserListSchema = Type.Object({
  items: Type.Array(UserViewSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const CreateUserBody = Type.Object(
  {
    email: EmailSchema,
    name: Type.Optional(NameSchema),
    password: PasswordSchema,
    group_ids: Type.Optional(
      Type.Array(Type.String({ format: 'uuid' }), {
        maxItems: 100,
        uniqueItems: true,
        description: 'extra groups; every user is also in Users',
      }),
    ),
  },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  { email: Type.Optional(EmailSchema), name: Type.Optional(NameSchema) },
  { additionalProperties: false, minProperties: 1 },
);

export const ResetPasswordBody = Type.Object({ password: PasswordSchema }, { additionalProperties: false });

export function toUserView(user: UserWithGroups): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    is_active: user.isActive,
    permission_level: user.level,
    groups: user.groups.map((g) => ({
      id: g.id,
      name: g.name,
      permission_level: g.permissionLevel,
      is_system: g.isSystem,
    })),
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
  };
}

/** The shape other contexts receive in user.* events. */
export function toUserSummary(user: UserWithGroups): UserSummary {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    is_active: user.isActive,
    permission_level: user.level,
    group_ids: user.groups.map((g) => g.id),
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

/** What an audit record keeps of a user: no timestamps that change on every sign-in. */
export function auditValueOf(user: UserWithGroups) {
  return {
    email: user.email,
    name: user.name,
    is_active: user.isActive,
    permission_level: user.level,
    groups: user.groups.map((g) => g.name),
  };
}
