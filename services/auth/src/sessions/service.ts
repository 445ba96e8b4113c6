/**
 * Sign-in, token refresh with rotation and reuse detection, sign-out, and password
 * change. Every outcome that matters to security is audited, failures included.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '@lumikb/contracts';
import { UserUpdated } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { type EventContext, recordEvent } from '@lumikb/events';
import { REDACTED } from '@lumikb/service-kit';
import { audit } from '../audit/record.ts';
import type { Config } from '../config.ts';
import type { AuthDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../security/passwords.ts';
import { hashRefreshToken, type IssuedToken, newRefreshToken, type TokenIssuer } from '../security/tokens.ts';
import * as users from '../users/repository.ts';
import { toUserSummary } from '../users/schemas.ts';
import { assertStrongPassword, getUser } from '../users/service.ts';
import * as repo from './repository.ts';
import { revokeAccessTokens } from './revocation.ts';
import { admitAttempt, settleSuccess, type ThrottleLimits } from './throttle.ts';

type Db = Kysely<AuthDatabase>;

export interface SessionDeps {
  db: Db;
  issuer: TokenIssuer;
  config: Pick<
    Config,
    | 'REFRESH_TOKEN_TTL_SECONDS'
    | 'LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP'
    | 'LOGIN_MAX_FAILURES_PER_IP'
    | 'LOGIN_MAX_FAILURES_PER_ACCOUNT'
    | 'LOGIN_THROTTLE_WINDOW_SECONDS'
  >;
  /** The live `rate_limits.login_attempts_per_minute` (per client address). */
  loginAttemptsPerMinute: () => number;
  /** The live `session_timeout_minutes`: a session not refreshed for this long has ended. */
  sessionTimeoutMinutes: () => number;
}

function throttleLimits(deps: SessionDeps): ThrottleLimits {
  const { config } = deps;
  return {
    perAccountAndIp: config.LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP,
    perIp: config.LOGIN_MAX_FAILURES_PER_IP,
    perAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS,
    perIpPerMinute: deps.loginAttemptsPerMinute(),
  };
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
  const { db } = deps;
  const email = input.email.trim().toLowerCase();
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

  const found = await users.findUserByEmail(db, email);
  const attempt = { email, ip: client.ip, ...(found ? { userId: found.id } : {}) };
  // Counted before the password is checked, so concurrent guesses cannot all be evaluated.
  const admission = await admitAttempt(db, throttleLimits(deps), attempt);
  if (!admission.admitted) {
    const wait = admission.retryAfterSeconds;
    await failure(found?.id ?? null, `throttled_${admission.scope}`);
    throw errors.LOGIN_THROTTLED(
      `Too many sign-in attempts; try again in ${wait} s`,
      { retry_after_seconds: wait, scope: admission.scope },
      { 'retry-after': String(wait) },
    );
  }

  const valid = await verifyPassword(input.password, found?.passwordHash ?? (await dummyHash()));
  // A deactivated account answers exactly like a wrong password, whichever password was
  // given: telling it apart only for the right one would confirm the password.
  if (!found || !valid || !found.isActive) {
    const reason = !found ? 'unknown_email' : !valid ? 'wrong_password' : 'deactivated';
    await failure(found?.id ?? null, reason);
    throw errors.INVALID_CREDENTIALS('Email or password is incorrect');
  }

  const rehash = needsRehash(found.passwordHash) ? await hashPassword(input.password) : undefined;
  return db.transaction().execute(async (trx) => {
    await settleSuccess(trx, attempt);
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
    // Each refresh issues a new token, so this token's age is the time since the
    // session's last activity; the limit is read at each refresh (changes apply at once).
    const idleMinutes = deps.sessionTimeoutMinutes();
    if (Date.now() - record.createdAt.getTime() > idleMinutes * 60_000) {
      await repo.revokeFamily(trx, record.familyId, 'idle_timeout');
      return {
        error: errors.SESSION_TIMED_OUT(`Session ended after ${idleMinutes} minutes without activity; sign in again`, {
          session_timeout_minutes: idleMinutes,
        }),
      };
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
      await revokeAccessTokens(trx, userId, 'logout_all', context);
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

/**
 * Ends every session of the user but the caller's, inside `trx`: all access tokens are
 * revoked (auth and, through `user.sessions_revoked`, every service), every other refresh
 * family is revoked, and the caller's session goes on under new tokens in its own family
 * (a new one when the caller presented no valid refresh token, as a Bearer-only client).
 */
async function keepOnlyCallerSession(
  trx: Db,
  deps: SessionDeps,
  userId: string,
  presentedRefresh: string | undefined,
  reason: 'password_changed' | 'logout_others',
  client: ClientInfo,
  context: EventContext,
): Promise<{ refresh: Session['refresh']; ended: number; revokedBefore: Date }> {
  const record = presentedRefresh ? await repo.lockRefreshToken(trx, hashRefreshToken(presentedRefresh)) : undefined;
  const current =
    record && record.userId === userId && !record.revokedAt && !record.usedAt && record.expiresAt.getTime() > Date.now()
      ? record
      : undefined;
  const familyId = current?.familyId ?? randomUUID();
  const revokedBefore = await revokeAccessTokens(trx, userId, reason, context);
  const ended = await repo.revokeAllOfUserExcept(trx, userId, familyId, reason);
  if (current) await repo.markRefreshTokenUsed(trx, current.id);
  const refresh = await startRefresh(trx, deps, userId, familyId, client);
  return { refresh, ended, revokedBefore };
}

/** The caller's new access token, issued strictly after the revocation instant it must outlive. */
async function accessAfter(deps: SessionDeps, userId: string, revokedBefore: Date) {
  while (Date.now() <= revokedBefore.getTime()) await new Promise((resolve) => setImmediate(resolve));
  const user = (await users.findUserWithGroups(deps.db, userId))!;
  return { user, access: accessFor(deps.issuer, user) };
}

export interface KeptSession extends Session {
  /** How many other sessions ended. */
  sessionsEnded: number;
}

/**
 * The user's own password change: proves the current one, then ends every other session;
 * the caller's goes on with new tokens (the old access token is void like all others).
 */
export async function changeOwnPassword(
  deps: SessionDeps,
  userId: string,
  input: { currentPassword: string; newPassword: string; refreshToken?: string },
  client: ClientInfo,
  context: EventContext,
): Promise<KeptSession> {
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
  const existing = await getUser(deps.db, userId);
  assertStrongPassword(input.newPassword, existing.email);
  const passwordHash = await hashPassword(input.newPassword);
  const kept = await deps.db.transaction().execute(async (trx) => {
    await users.updateUser(trx, userId, { passwordHash });
    const result = await keepOnlyCallerSession(
      trx,
      deps,
      userId,
      input.refreshToken,
      'password_changed',
      client,
      context,
    );
    const after = (await users.findUserWithGroups(trx, userId))!;
    await recordEvent(
      trx,
      UserUpdated,
      {
        user: toUserSummary(after),
        changed_fields: ['password'],
        sessions_revoked_at: result.revokedBefore.toISOString(),
      },
      context,
    );
    await audit(
      trx,
      {
        action: 'auth.password_change',
        resourceType: 'user',
        resourceId: userId,
        oldValue: { password: REDACTED },
        newValue: { password: REDACTED, other_sessions_ended: result.ended, this_session_kept: true },
        ip: client.ip,
      },
      context,
    );
    return result;
  });
  return { ...(await accessAfter(deps, userId, kept.revokedBefore)), refresh: kept.refresh, sessionsEnded: kept.ended };
}

/** Signs the user out everywhere but here; the caller's session goes on with new tokens. */
export async function endOtherSessions(
  deps: SessionDeps,
  userId: string,
  refreshToken: string | undefined,
  client: ClientInfo,
  context: EventContext,
): Promise<KeptSession> {
  const kept = await deps.db.transaction().execute(async (trx) => {
    const result = await keepOnlyCallerSession(trx, deps, userId, refreshToken, 'logout_others', client, context);
    await audit(
      trx,
      {
        action: 'auth.sessions_end_others',
        resourceType: 'user',
        resourceId: userId,
        newValue: { other_sessions_ended: result.ended, this_session_kept: true },
        ip: client.ip,
      },
      context,
    );
    return result;
  });
  return { ...(await accessAfter(deps, userId, kept.revokedBefore)), refresh: kept.refresh, sessionsEnded: kept.ended };
}

export interface SessionView extends repo.LiveSession {
  current: boolean;
}

/** The user's live sessions; `current` marks the one the presented refresh token belongs to. */
export async function listSessions(
  deps: SessionDeps,
  userId: string,
  refreshToken: string | undefined,
): Promise<SessionView[]> {
  const [live, record] = await Promise.all([
    repo.listLiveSessions(deps.db, userId, deps.sessionTimeoutMinutes()),
    refreshToken ? repo.findRefreshToken(deps.db, hashRefreshToken(refreshToken)) : Promise.resolve(undefined),
  ]);
  const currentFamily = record?.userId === userId ? record.familyId : undefined;
  return live.map((s) => ({ ...s, current: s.familyId === currentFamily }));
}
