/** SQL of stored results of idempotent requests. */
import { type Kysely, sql } from '@lumikb/db';
import type { KnowledgeBaseDatabase } from '../db/database.ts';

type Db = Kysely<KnowledgeBaseDatabase>;

export interface IdempotencyScope {
  userId: string;
  key: string;
  route: string;
}

export interface StoredResult {
  requestHash: string;
  status: number;
  body: unknown;
}

/**
 * Takes the key for this transaction. A concurrent transaction holding the same key makes
 * this wait (Postgres blocks on the uncommitted row) until it commits (→ its result) or
 * rolls back (→ the key is ours). Returns the result stored earlier, or undefined when ours.
 */
export async function claimKey(
  trx: Db,
  scope: IdempotencyScope,
  requestHash: string,
  expiresAt: Date,
): Promise<StoredResult | undefined> {
  // An expired result is forgotten: the key may be used afresh.
  await trx
    .deleteFrom('idempotency_keys')
    .where('user_id', '=', scope.userId)
    .where('key', '=', scope.key)
    .where('route', '=', scope.route)
    .where('expires_at', '<=', sql<Date>`now()`)
    .execute();
  const inserted = await trx
    .insertInto('idempotency_keys')
    .values({
      user_id: scope.userId,
      key: scope.key,
      route: scope.route,
      request_hash: requestHash,
      // Filled in by saveResult before the transaction commits.
      response_status: 0,
      response_body: 'null',
      expires_at: expiresAt,
    })
    .onConflict((oc) => oc.columns(['user_id', 'key', 'route']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted) return undefined;
  const row = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response_status', 'response_body'])
    .where('user_id', '=', scope.userId)
    .where('key', '=', scope.key)
    .where('route', '=', scope.route)
    .executeTakeFirstOrThrow();
  return { requestHash: row.request_hash, status: row.response_status, body: row.response_body };
}

export async function saveResult(trx: Db, scope: IdempotencyScope, status: number, body: unknown): Promise<void> {
  await trx
    .updateTable('idempotency_keys')
    .set({ response_status: status, response_body: JSON.stringify(body) })
    .where('user_id', '=', scope.userId)
    .where('key', '=', scope.key)
    .where('route', '=', scope.route)
    .execute();
}

export async function purgeExpiredKeys(db: Db, now: Date): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
