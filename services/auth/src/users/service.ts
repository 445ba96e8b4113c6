/** Account rules: creation, profile changes, activation and passwords, with their events and audit. */
import { DEFAULT_GROUPS, UserCreated, UserUpdated } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { type EventContext, recordEvent } from '@lumikb/events';
import { REDACTED } from '@lumikb/service-kit';
import { audit } from '../audit/record.ts';
import type { AuthDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { findGroupsByIds } from '../groups/repository.ts';
import { isCommonPassword } from '../security/common-passwords.ts';
import { hashPassword, PASSWORD_RULE, passwordWeakness } from '../security/passwords.ts';
import { revokeAllOfUser } from '../sessions/repository.ts';
import { revokeAccessTokens } from '../sessions/revocation.ts';
import * as repo from './repository.ts';
import { auditValueOf, toUserSummary } from './schemas.ts';

type Db = Kysely<AuthDatabase>;

/** Throws WEAK_PASSWORD stating the rule when the password does not meet it. */
export function assertStrongPassword(password: string, email?: string): void {
  const why = passwordWeakness(password, email);
  if (why) throw errors.WEAK_PASSWORD(`Password ${why}. Rule: ${PASSWORD_RULE}`, { rule: PASSWORD_RULE });
  if (isCommonPassword(password)) {
    throw errors.COMMON_PASSWORD('This password is one of the most common ones, the first an attacker tries', {
      rule: PASSWORD_RULE,
    });
  }
}

export async function getUser(db: Db, id: string): Promise<repo.UserWithGroups> {
  const user = await repo.findUserWithGroups(db, id);
  if (!user) throw errors.USER_NOT_FOUND(`User ${id} not found`, { id });
  return user;
}

async function reload(trx: Db, id: string): Promise<repo.UserWithGroups> {
  return (await repo.findUserWithGroups(trx, id))!;
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

export interface NewUser {
  email: string;
  name?: string;
  password: string;
  groupIds?: string[];
}

type CreateAction = 'user.create' | 'auth.register' | 'user.bootstrap_admin';

/**
 * Creates an account in Users (plus any extra groups). `action` distinguishes an
 * administrator's creation from self-registration and the first-admin bootstrap.
 */
export async function createUser(
  db: Db,
  input: NewUser,
  context: EventContext,
  action: CreateAction = 'user.create',
): Promise<repo.UserWithGroups> {
  assertStrongPassword(input.password, input.email);
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction().execute((trx) => insertNewUser(trx, input, passwordHash, context, action));
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw errors.EMAIL_TAKEN(`A user with email ${input.email} already exists`, { email: input.email });
    }
    throw error;
  }
}

/** The inside of createUser, for callers that already hold a transaction (and a hash). */
export async function insertNewUser(
  trx: Db,
  input: Omit<NewUser, 'password'>,
  passwordHash: string,
  context: EventContext,
  action: CreateAction,
): Promise<repo.UserWithGroups> {
  const extra = [...new Set(input.groupIds ?? [])];
  if (await repo.emailTaken(trx, input.email)) {
    throw errors.EMAIL_TAKEN(`A user with email ${input.email} already exists`, { email: input.email });
  }
  const found = await findGroupsByIds(trx, extra);
  const missing = extra.filter((id) => !found.some((g) => g.id === id));
  if (missing.length > 0) throw errors.GROUP_NOT_FOUND(`Group ${missing[0]} not found`, { ids: missing });
  const user = await repo.insertUser(trx, { email: input.email, name: input.name?.trim() ?? '', passwordHash });
  for (const groupId of new Set<string>([DEFAULT_GROUPS.USERS.id, ...extra])) {
    await repo.addMembership(trx, user.id, groupId);
  }
  const created = await reload(trx, user.id);
  await recordEvent(trx, UserCreated, { user: toUserSummary(created) }, context);
  await audit(trx, { action, resourceType: 'user', resourceId: created.id, newValue: auditValueOf(created) }, context);
  return created;
}

export async function updateProfile(
  db: Db,
  id: string,
  patch: { email?: string; name?: string },
  context: EventContext,
): Promise<repo.UserWithGroups> {
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await getUser(trx, id);
      const changes: { email?: string; name?: string } = {};
      if (patch.email !== undefined && patch.email !== before.email) {
        if (await repo.emailTaken(trx, patch.email, id)) {
          throw errors.EMAIL_TAKEN(`A user with email ${patch.email} already exists`, { email: patch.email });
        }
        changes.email = patch.email;
      }
      if (patch.name !== undefined && patch.name.trim() !== before.name) changes.name = patch.name.trim();
      const changed = Object.keys(changes);
      if (changed.length === 0) return before;
      await repo.updateUser(trx, id, changes);
      const after = await reload(trx, id);
      await recordEvent(
        trx,
        UserUpdated,
        { user: toUserSummary(after), changed_fields: changed, sessions_revoked_at: null },
        context,
      );
      await audit(
        trx,
        {
          action: 'user.update',
          resourceType: 'user',
          resourceId: id,
          oldValue: auditValueOf(before),
          newValue: auditValueOf(after),
        },
        context,
      );
      return after;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw errors.EMAIL_TAKEN(`A user with email ${patch.email} already exists`, { email: patch.email });
    }
    throw error;
  }
}

/** Refuses with LAST_ADMIN when the change made inside `trx` left no active administrator. */
export async function assertAdministratorRemains(trx: Db, message: string): Promise<void> {
  if ((await repo.countActiveAdministrators(trx)) === 0) {
    throw errors.LAST_ADMIN(`${message}: it would leave no active administrator (level 3)`);
  }
}

/**
 * Deactivation revokes every session at once: refresh tokens are revoked and access
 * tokens issued before now are refused by auth (other services: within their TTL).
 */
export async function setActive(
  db: Db,
  id: string,
  active: boolean,
  context: EventContext,
): Promise<repo.UserWithGroups> {
  return db.transaction().execute(async (trx) => {
    if (!active) await repo.lockAdministrators(trx);
    const before = await getUser(trx, id);
    if (before.isActive === active) return before;
    await repo.updateUser(trx, id, { isActive: active });
    if (!active) {
      await revokeAccessTokens(trx, id, 'deactivated', context);
      await assertAdministratorRemains(trx, 'Cannot deactivate this user');
      await revokeAllOfUser(trx, id, 'deactivated');
    }
    const after = await reload(trx, id);
    await recordEvent(
      trx,
      UserUpdated,
      {
        user: toUserSummary(after),
        changed_fields: ['is_active'],
        sessions_revoked_at: active ? null : after.tokensValidAfter.toISOString(),
      },
      context,
    );
    await audit(
      trx,
      {
        action: active ? 'user.reactivate' : 'user.deactivate',
        resourceType: 'user',
        resourceId: id,
        oldValue: auditValueOf(before),
        newValue: auditValueOf(after),
      },
      context,
    );
    return after;
  });
}

/**
 * Sets a new password and revokes every session of the user. `action` tells an
 * administrator's reset from the user's own change.
 */
export async function setPassword(
  db: Db,
  id: string,
  password: string,
  context: EventContext,
  action: 'user.password_reset' | 'auth.password_change',
): Promise<repo.UserWithGroups> {
  const existing = await getUser(db, id);
  assertStrongPassword(password, existing.email);
  const passwordHash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    await repo.updateUser(trx, id, { passwordHash });
    await revokeAccessTokens(
      trx,
      id,
      action === 'auth.password_change' ? 'password_changed' : 'password_reset',
      context,
    );
    await revokeAllOfUser(trx, id, action === 'auth.password_change' ? 'password_changed' : 'password_reset');
    const after = await reload(trx, id);
    await recordEvent(
      trx,
      UserUpdated,
      {
        user: toUserSummary(after),
        changed_fields: ['password'],
        sessions_revoked_at: after.tokensValidAfter.toISOString(),
      },
      context,
    );
    await audit(
      trx,
      {
        action,
        resourceType: 'user',
        resourceId: id,
        oldValue: { password: REDACTED },
        newValue: { password: REDACTED, sessions_revoked: true },
      },
      context,
    );
    return after;
  });
}
