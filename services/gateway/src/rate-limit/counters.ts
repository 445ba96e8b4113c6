/** SQL for the shared per-minute counters. */
import { type Kysely, sql } from '@lumikb/db';
import type { GatewayDatabase } from '../db/database.ts';

type Db = Kysely<GatewayDatabase>;

/**
 * Counts one request in the current minute for (bucket, subject), atomically across
 * replicas. Returns the hit's ordinal and the seconds until the minute ends.
 */
export async function countHit(
  db: Db,
  bucket: string,
  subject: string,
): Promise<{ hits: number; resetSeconds: number }> {
  const row = await db
    .insertInto('rate_limit_counters')
    .values({ bucket, subject, window_start: sql<Date>`date_trunc('minute', now())`, hits: 1 })
    .onConflict((oc) =>
      oc.columns(['bucket', 'subject', 'window_start']).doUpdateSet({ hits: sql`rate_limit_counters.hits + 1` }),
    )
    .returning([
      'hits',
      sql<number>`ceil(extract(epoch from (window_start + interval '1 minute' - now())))`.as('reset_seconds'),
    ])
    .executeTakeFirstOrThrow();
  return { hits: row.hits, resetSeconds: Math.max(1, Number(row.reset_seconds)) };
}

/** Drops the counters of minutes that are over. */
export async function forgetPastMinutes(db: Db): Promise<void> {
  await db
    .deleteFrom('rate_limit_counters')
    .where('window_start', '<', sql<Date>`date_trunc('minute', now()) - interval '1 minute'`)
    .execute();
}
