/** SQL for refresh tokens and sign-in attempt counters. */
import { type Kysely, sql } from '@lumikb/db';
import type { AuthDatabase } from '../db/database.ts';

type Db = Kysely<AuthDatabase>;

export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  userId: string;
  expiresAt: Date;
  /** When this token was issued: the session's last refresh (activity). */
  createdAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  revokedReason: string | null;
}

export async function insertRefreshToken(
  db: Db,
  values: { familyId: string; userId: string; hash: string; ttlSeconds: number; ip?: string; userAgent?: string },
): Promise<{ id: string; expiresAt: Date }> {
  return db
    .insertInto('refresh_tokens')
    .values({
      family_id: values.familyId,
      user_id: values.userId,
      token_hash: values.hash,
      expires_at: sql<Date>`now() + make_interval(secs => ${values.ttlSeconds})`,
      ip: values.ip ?? null,
      user_agent: values.userAgent?.slice(0, 500) ?? null,
    })
    .returning(['id', 'expires_at as expiresAt'])
    .executeTakeFirstOrThrow();
}

/** Finds a token by its hash and locks it, so two refreshes with one token cannot both rotate it. */
export async function lockRefreshToken(db: Db, hash: string): Promise<RefreshTokenRecord | undefined> {
  const row = await db
    .selectFrom('refresh_tokens')
    .select(['id', 'family_id', 'user_id', 'expires_at', 'created_at', 'used_at', 'revoked_at', 'revoked_reason'])
    .where('token_hash', '=', hash)
    .forUpdate()
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      familyId: row.family_id,
      userId: row.user_id,
      expiresAt: row.expires_at,
      createdAt: row.created_at,
      usedAt: row.used_at,
      revokedAt: row.revoked_at,
      revokedReason: row.revoked_reason,
    }
  );
}

/** The token's family and owner, without locking (to mark the current session in a list). */
export async function findRefreshToken(
  db: Db,
  hash: string,
): Promise<{ familyId: string; userId: string } | undefined> {
  const row = await db
    .selectFrom('refresh_tokens')
    .select(['family_id', 'user_id'])
    .where('token_hash', '=', hash)
    .executeTakeFirst();
  return row && { familyId: row.family_id, userId: row.user_id };
}

export async function markRefreshTokenUsed(db: Db, id: string): Promise<void> {
  await db.updateTable('refresh_tokens').set({ used_at: sql`now()` }).where('id', '=', id).execute();
}

export async function revokeFamily(db: Db, familyId: string, reason: string): Promise<number> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function revokeAllOfUser(db: Db, userId: string, reason: string): Promise<number> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A sign-in throttle counter: what is counted (scope) for whom (key). */
export interface AttemptKey {
  scope: 'account_ip' | 'ip' | 'account' | 'ip_minute';
  key: string;
}

/**
 * Counts one attempt, atomically: the row is created, or incremented, or restarted at 1
 * when its window has passed. Returns this attempt's ordinal in the window and the
 * seconds until the window ends.
 */
export async function countAttempt(
  db: Db,
  key: AttemptKey,
  windowSeconds: number,
): Promise<{ attempts: number; retryAfterSeconds: number }> {
  const window = sql`make_interval(secs => ${windowSeconds})`;
  const expired = sql`login_attempts.window_started_at <= now() - ${window}`;
  const row = await db
    .insertInto('login_attempts')
    .values({ scope: key.scope, key: key.key, attempts: 1 })
    .onConflict((oc) =>
      oc.columns(['scope', 'key']).doUpdateSet({
        attempts: sql`case when ${expired} then 1 else login_attempts.attempts + 1 end`,
        window_started_at: sql`case when ${expired} then now() else login_attempts.window_started_at end`,
      }),
    )
    .returning([
      'attempts',
      sql<number>`ceil(extract(epoch from (window_started_at + ${window} - now())))`.as('retry_after'),
    ])
    .executeTakeFirstOrThrow();
  return { attempts: row.attempts, retryAfterSeconds: Math.max(1, Number(row.retry_after)) };
}

/** Takes back one counted attempt (a sign-in that turned out to be the right password). */
export async function uncountAttempt(db: Db, key: AttemptKey): Promise<void> {
  await db
    .updateTable('login_attempts')
    .set({ attempts: sql`greatest(attempts - 1, 0)` })
    .where('scope', '=', key.scope)
    .where('key', '=', key.key)
    .execute();
}

export async function clearAttempts(db: Db, key: AttemptKey): Promise<void> {
  await db.deleteFrom('login_attempts').where('scope', '=', key.scope).where('key', '=', key.key).execute();
}

/** Drops counters whose window ended long ago, so the table stays the size of recent traffic. */
export async function forgetOldAttempts(db: Db, olderThanSeconds: number): Promise<void> {
  await db
    .deleteFrom('login_attempts')
    .where('window_started_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
    .execute();
}

/** Whether the user has signed in from this address before (a session was started from it). */
export async function signedInFrom(db: Db, userId: string, ip: string): Promise<boolean> {
  const row = await db
    .selectFrom('refresh_tokens')
    .select('id')
    .where('user_id', '=', userId)
    .where('ip', '=', ip)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Revokes every live refresh token of the user except those of the family kept; returns
 * how many sessions (families) that ended.
 */
export async function revokeAllOfUserExcept(
  db: Db,
  userId: string,
  keptFamilyId: string,
  reason: string,
): Promise<number> {
  const rows = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('family_id', '<>', keptFamilyId)
    .where('revoked_at', 'is', null)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning('family_id')
    .execute();
  // Used tokens of those families are revoked too, so a replayed one finds a revoked family.
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('family_id', '<>', keptFamilyId)
    .where('revoked_at', 'is', null)
    .execute();
  return new Set(rows.map((r) => r.family_id)).size;
}

export interface LiveSession {
  familyId: string;
  startedAt: Date;
  lastActiveAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/**
 * The user's sessions that can still be refreshed: the newest, unused, unrevoked token of
 * each family, refreshed within the idle limit. Newest activity first.
 */
export async function listLiveSessions(db: Db, userId: string, idleMinutes: number): Promise<LiveSession[]> {
  const rows = await db
    .selectFrom('refresh_tokens as t')
    .select((eb) => [
      't.family_id',
      't.created_at',
      't.expires_at',
      't.ip',
      't.user_agent',
      eb
        .selectFrom('refresh_tokens as f')
        .whereRef('f.family_id', '=', 't.family_id')
        .select((f) => f.fn.min('f.created_at').as('started'))
        .as('started_at'),
    ])
    .where('t.user_id', '=', userId)
    .where('t.revoked_at', 'is', null)
    .where('t.used_at', 'is', null)
    .where('t.expires_at', '>', sql<Date>`now()`)
    .where('t.created_at', '>', sql<Date>`now() - make_interval(mins => ${idleMinutes})`)
    .orderBy('t.created_at', 'desc')
    .limit(100)
    .execute();
  return rows.map((r) => ({
    familyId: r.family_id,
    startedAt: (r.started_at as Date | null) ?? r.created_at,
    lastActiveAt: r.created_at,
    expiresAt: r.expires_at,
    ip: r.ip,
    userAgent: r.user_agent,
  }));
}
