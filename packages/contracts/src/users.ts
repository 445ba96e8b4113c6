/**
 * Identity events published by the auth service (stream USERS). Other contexts keep
 * projections of users, groups and effective permission levels from these. No secret
 * (password, hash, token) is ever part of them.
 */
import { type Static, Type } from 'typebox';
import { defineEvent } from './envelope.ts';
import { literalUnion } from './literal-union.ts';

/** The three seeded, system-protected groups. Their ids are fixed on every installation. */
export const DEFAULT_GROUPS = {
  USERS: { id: '00000000-0000-4000-8000-000000000001', name: 'Users', permission_level: 1 },
  OPERATORS: { id: '00000000-0000-4000-8000-000000000002', name: 'Operators', permission_level: 2 },
  ADMINISTRATORS: { id: '00000000-0000-4000-8000-000000000003', name: 'Administrators', permission_level: 3 },
} as const;

/** Level a group grants: 1 User, 2 Operator, 3 Administrator. */
export const GroupLevelSchema = Type.Integer({ minimum: 1, maximum: 3 });
/** A user's effective level: the MAX over their groups (0 when in none). */
export const EffectiveLevelSchema = Type.Integer({ minimum: 0, maximum: 3 });

export const UserSummarySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  is_active: Type.Boolean(),
  permission_level: EffectiveLevelSchema,
  group_ids: Type.Array(Type.String({ format: 'uuid' })),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
export type UserSummary = Static<typeof UserSummarySchema>;

export const GroupSummarySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  description: Type.String(),
  permission_level: GroupLevelSchema,
  is_system: Type.Boolean(),
});
export type GroupSummary = Static<typeof GroupSummarySchema>;

export const UserCreated = defineEvent('user.created', Type.Object({ user: UserSummarySchema }));

export const UserUpdated = defineEvent(
  'user.updated',
  Type.Object({
    user: UserSummarySchema,
    /** e.g. `name`, `email`, `is_active`, `password` (the fact it changed, never the value). */
    changed_fields: Type.Array(Type.String()),
    /**
     * Set when every session of the user was revoked by this change (deactivation,
     * password change): access tokens issued before this instant must be refused by
     * services that keep a revocation projection.
     */
    sessions_revoked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  }),
);

export const GroupMembershipChanged = defineEvent(
  'group.membership_changed',
  Type.Object({
    group_id: Type.String({ format: 'uuid' }),
    user_id: Type.String({ format: 'uuid' }),
    change: Type.Union([Type.Literal('added'), Type.Literal('removed')]),
    /** The user's groups and effective level after the change. */
    group_ids: Type.Array(Type.String({ format: 'uuid' })),
    permission_level: EffectiveLevelSchema,
  }),
);

export const GroupCreated = defineEvent('group.created', Type.Object({ group: GroupSummarySchema }));
export const GroupUpdated = defineEvent(
  'group.updated',
  Type.Object({ group: GroupSummarySchema, changed_fields: Type.Array(Type.String()) }),
);
export const GroupDeleted = defineEvent(
  'group.deleted',
  Type.Object({ id: Type.String({ format: 'uuid' }), member_ids: Type.Array(Type.String({ format: 'uuid' })) }),
);

/** Why a user's access tokens were revoked. */
export const REVOCATION_REASONS = [
  'deactivated',
  'password_changed',
  'password_reset',
  'logout_all',
  /** The user ended their other sessions; their own was renewed with new tokens. */
  'logout_others',
  'access_reduced',
] as const;

/**
 * Every access token of the user issued before `revoked_before` is void, on every
 * service: each service's token verifier keeps these (for the longest access-token
 * lifetime) and refuses such tokens with 401 TOKEN_REVOKED. Published on deactivation,
 * a password change or reset, sign-out everywhere, and when the user's access shrinks
 * (removed from a group, a group deleted or its level lowered).
 */
export const UserSessionsRevoked = defineEvent(
  'user.sessions_revoked',
  Type.Object({
    user_id: Type.String({ format: 'uuid' }),
    revoked_before: Type.String({ format: 'date-time' }),
    reason: literalUnion(REVOCATION_REASONS),
  }),
);
export type RevocationReason = (typeof REVOCATION_REASONS)[number];
