/**
 * Sign-in, token refresh with rotation and reuse detection, sign-out, and password
 * change. Every outcome that matters to security is audited, failures included.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import type { EventContext } from '@lumikb/events';
import { audit } from '../audit/record.ts';
import type { Config } from '../config.ts';
import type { AuthDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../security/passwords.ts';
import { hashRefreshToken, type IssuedToken, newRefreshToken, type TokenIssuer } from '../security/tokens.ts';
import * as users from '../users/repository.ts';
import { setPassword } from '../users/service.ts';
import * as repo from './repository.ts';

type Db = Kysely<AuthDatabase>;

export interface SessionDeps {
  db: Db;
  issuer: TokenIssuer;
  config: Pick<
    Config,
    | 'REFRESH_TOKEN_TTL_SECONDS'
    | 'LOGIN_MAX_FAILURES_PER_EMAIL'
    | 'LOGIN_MAX_FAILURES_PER_IP'
    | 'LOGIN_THROTTLE_WINDOW_SECONDS'
  >;
}

export interface ClientInfo {
  ip: string;
  userAgent?: string;
}

export interface Session {
  user: users.UserWithGroups;
  access: IssuedToken;
  refresh: { token: string; expiresAt: Date };
}

const userActor = (user: { id: string; email: string }): Actor => ({ type: 'user', id: user.id, email: user.email });

function accessFor(issuer: TokenIssuer, user: users.UserWithGroups): IssuedToken {
  return issuer.issueAccess({
    id: user.id,
    email: user.email,
    level: user.level,
    groupIds: user.groups.map((g) => g.id),
  });
}

export async function login(
  deps: SessionDeps,
  input: { email: string; password: string },
  client: ClientInfo,
  context: EventContext,
): Promise<Session> {
  const { db, config } = deps;
  const email = input.email.trim().toLowerCase();
  const window = config.LOGIN_THROTTLE_WINDOW_SECONDS;
  const failure = (resourceId: string | null, reason: string) =>
    audit(
      db,
      {
        action: 'auth.login_failed',
        resourceType: 'user',
        resourceId,
        outcome: 'failure',
        newValue: { email, reason },
        ip: client.ip,
      },
      context,
    );

  // Throttled callers are refused before their password is even checked.
  const byEmail = await repo.throttledFor(
    db,
    { column: 'email', value: email },
    config.LOGIN_MAX_FAILURES_PER_EMAIL,
    window,
  );
  const byIp = byEmail
    ? undefined
    : await repo.throttledFor(db, { column: 'ip', value: client.ip }, config.LOGIN_MAX_FAILURES_PER_IP, window);
  const wait = byEmail ?? byIp;
  if (wait !== undefined) {
    const scope = byEmail ? 'email' : 'ip';
    await failure(null, `throttled_${scope}`);
    throw errors.LOGIN_THROTTLED(
      `Too many failed sign-in attempts; try again in ${wait} s`,
      { retry_after_seconds: wait, scope },
      { 'retry-after': String(wait) },
    );
  }

  const found = await users.findUserByEmail(db, email);
  const valid = await verifyPassword(input.password, found?.passwordHash ?? (await dummyHash()));
  if (!found || !valid) {
    await db.transaction().execute(async (trx) => {
      await repo.recordLoginFailure(trx, email, client.ip, window);
      await failure(found?.id ?? null, found ? 'wrong_password' : 'unknown_email');
    });
    throw errors.INVALID_CREDENTIALS('Email or password is incorrect');
  }
  if (!found.isActive) {
    await failure(found.id, 'deactivated');
    throw errors.ACCOUNT_DEACTIVATED('This account is deactivated');
  }

  const rehash = needsRehash(found.passwordHash) ? await hashPassword(input.password) : undefined;
  return db.transaction().execute(async (trx) => {
    await repo.clearLoginFailures(trx, email);
    await users.updateUser(trx, found.id, { lastLoginAt: new Date(), ...(rehash ? { passwordHash: rehash } : {}) });
    const user = (await users.findUserWithGroups(trx, found.id))!;
    const refresh = await startRefresh(trx, deps, user.id, randomUUID(), client);
    await audit(
      trx,
      {
        action: 'auth.login',
        resourceType: 'user',
        resourceId: user.id,
        newValue: { email: user.email, permission_level: user.level },
        ip: client.ip,
      },
      { ...context, actor: userActor(user) },
    );
    return { user, access: accessFor(deps.issuer, user), refresh };
  });
}

async function startRefresh(trx: Db, deps: SessionDeps, userId: string, familyId: string, client: ClientInfo) {
  const { token, hash } = newRefreshToken();
  const row = await repo.insertRefreshToken(trx, {
    familyId,
    userId,
    hash,
    ttlSeconds: deps.config.REFRESH_TOKEN_TTL_SECONDS,
    ip: client.ip,
    ...(client.userAgent ? { userAgent: client.userAgent } : {}),
  });
  return { token, expiresAt: row.expiresAt };
}

/**
 * Exchanges a refresh token for a new pair. Each refresh token works once: presenting
 * an already rotated one means it was copied, so its whole family is revoked.
 */
export async function refresh(
  deps: SessionDeps,
  token: string,
  client: ClientInfo,
  context: EventContext,
): Promise<Session> {
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const record = await repo.lockRefreshToken(trx, hashRefreshToken(token));
    if (!record) return { error: errors.REFRESH_TOKEN_INVALID('Refresh token is not valid') };
    if (record.revokedAt) {
      return { error: errors.REFRESH_TOKEN_REVOKED('This session was ended; sign in again') };
    }
    if (record.usedAt) {
      await repo.revokeFamily(trx, record.familyId, 'reuse_detected');
      await audit(
        trx,
        {
          action: 'auth.refresh_token_reused',
          resourceType: 'user',
          resourceId: record.userId,
          outcome: 'failure',
          newValue: { session: record.familyId, revoked: true },
          ip: client.ip,
        },
        context,
      );
      return {
        error: errors.REFRESH_TOKEN_REUSED(
          'This refresh token was already used; the session has been revoked as a precaution. Sign in again',
        ),
      };
    }
    if (record.expiresAt.getTime() <= Date.now()) {
      return { error: errors.REFRESH_TOKEN_EXPIRED('Session expired; sign in again') };
    }
    const user = await users.findUserWithGroups(trx, record.userId);
    if (!user?.isActive) {
      await repo.revokeFamily(trx, record.familyId, 'deactivated');
      return { error: errors.ACCOUNT_DEACTIVATED('This account is deactivated') };
    }
    await repo.markRefreshTokenUsed(trx, record.id);
    const next = await startRefresh(trx, deps, user.id, record.familyId, client);
    return { session: { user, access: accessFor(deps.issuer, user), refresh: next } };
  });
  // Errors are thrown after the commit so a detected reuse stays revoked.
  if ('error' in outcome) throw outcome.error;
  return outcome.session;
}

/** Ends the presented session (or every session of the user with `all`). */
export async function logout(
  deps: SessionDeps,
  userId: string,
  input: { refreshToken?: string; all?: boolean },
  client: ClientInfo,
  context: EventContext,
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    let revoked = 0;
    if (input.all) {
      await users.updateUser(trx, userId, { revokeTokens: true });
      revoked = await repo.revokeAllOfUser(trx, userId, 'logout_all');
    } else if (input.refreshToken) {
      const record = await repo.lockRefreshToken(trx, hashRefreshToken(input.refreshToken));
      if (record && record.userId === userId) revoked = await repo.revokeFamily(trx, record.familyId, 'logout');
    }
    await audit(
      trx,
      {
        action: 'auth.logout',
        resourceType: 'user',
        resourceId: userId,
        newValue: { all_sessions: Boolean(input.all), revoked_tokens: revoked },
        ip: client.ip,
      },
      context,
    );
  });
}

/** The user's own password change: proves the current one, then revokes every session. */
export async function changeOwnPassword(
  deps: SessionDeps,
  userId: string,
  input: { currentPassword: string; newPassword: string },
  client: ClientInfo,
  context: EventContext,
): Promise<void> {
  const hash = await users.findPasswordHash(deps.db, userId);
  if (!hash || !(await verifyPassword(input.currentPassword, hash))) {
    await audit(
      deps.db,
      {
        action: 'auth.password_change',
        resourceType: 'user',
        resourceId: userId,
        outcome: 'failure',
        newValue: { reason: 'current_password_incorrect' },
        ip: client.ip,
      },
      context,
    );
    throw errors.CURRENT_PASSWORD_INCORRECT('The current password is incorrect');
  }
  await setPassword(deps.db, userId, input.newPassword, context, 'auth.password_change');
}
