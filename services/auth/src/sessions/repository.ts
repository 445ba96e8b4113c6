/** SQL for refresh tokens and failed sign-in attempts. */
import { type Kysely, sql } from '@lumikb/db';
import type { AuthDatabase } from '../db/database.ts';

type Db = Kysely<AuthDatabase>;

export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  userId: string;
  expiresAt: Date;
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
    .select(['id', 'family_id', 'user_id', 'expires_at', 'used_at', 'revoked_at', 'revoked_reason'])
    .where('token_hash', '=', hash)
    .forUpdate()
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      familyId: row.family_id,
      userId: row.user_id,
      expiresAt: row.expires_at,
      usedAt: row.used_at,
      revokedAt: row.revoked_at,
      revokedReason: row.revoked_reason,
    }
  );
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

/**
 * Seconds until the key may try again, or undefined while below the limit: the key is
 * throttled while `max` failures fall inside the window, until the oldest of them ages out.
 */
export async function throttledFor(
  db: Db,
  key: { column: 'email' | 'ip'; value: string },
  max: number,
  windowSeconds: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('login_failures')
    .select(sql<number>`ceil(extract(epoch from (at + make_interval(secs => ${windowSeconds}) - now())))`.as('wait'))
    .where(key.column, '=', key.value)
    .where('at', '>', sql<Date>`now() - make_interval(secs => ${windowSeconds})`)
    .orderBy('at', 'desc')
    .offset(max - 1)
    .limit(1)
    .executeTakeFirst();
  return row ? Math.max(1, Number(row.wait)) : undefined;
}

export async function recordLoginFailure(db: Db, email: string, ip: string, windowSeconds: number): Promise<void> {
  await db.insertInto('login_failures').values({ email, ip }).execute();
  // Keep the table small: failures older than the window no longer count for anyone.
  await db
    .deleteFrom('login_failures')
    .where((eb) => eb.or([eb('email', '=', email), eb('ip', '=', ip)]))
    .where('at', '<', sql<Date>`now() - make_interval(secs => ${windowSeconds})`)
    .execute();
}

/** A successful sign-in clears the account's failures (the IP's stay counted). */
export async function clearLoginFailures(db: Db, email: string): Promise<void> {
  await db.deleteFrom('login_failures').where('email', '=', email).execute();
}
