/**
 * Safe retries of creating requests. A request sent with `Idempotency-Key` runs in one
 * transaction that first takes the key (user, key, route) and ends by storing its
 * response: either both the resource and its result are committed or neither is, so a
 * retry after a lost response gets the first result, never a second resource.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from '@lumikb/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KbContext } from '../context.ts';
import type { KnowledgeBaseDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { claimKey, type IdempotencyScope, purgeExpiredKeys, saveResult } from './repository.ts';

type Db = Kysely<KnowledgeBaseDatabase>;

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface HttpResult {
  status: number;
  body: unknown;
  /** true when this is the stored result of an earlier request with the same key. */
  replayed: boolean;
}

/** Throws the stored result out of the transaction, so that everything this request did is rolled back. */
class Replay extends Error {
  constructor(readonly result: HttpResult) {
    super('replayed');
  }
}

/** The caller's key for this route, or undefined when the request has none. */
export function idempotencyScopeOf(request: FastifyRequest, userId: string): IdempotencyScope | undefined {
  const raw = request.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || !KEY_PATTERN.test(key)) {
    throw errors.INVALID_IDEMPOTENCY_KEY('Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  return { userId, key, route: `${request.method} ${request.routeOptions.url}` };
}

/** sha256 of the parts that say what a request asks for (params, query, body, file digests). */
export function requestHash(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Runs `work` once per key. `work` gets the database to use (the key's transaction when
 * there is a key) and must call `claim(hash)` before creating anything; `claim` throws
 * when the key already has a result (replayed) or was used for another request (422).
 */
export async function idempotently(
  ctx: KbContext,
  scope: IdempotencyScope | undefined,
  work: (db: Db, claim: (hash: string) => Promise<void>) => Promise<{ status: number; body: unknown }>,
): Promise<HttpResult> {
  if (!scope) return { ...(await work(ctx.db, async () => {})), replayed: false };
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      let claimed = false;
      const claim = async (hash: string) => {
        const expiresAt = new Date(ctx.clock().getTime() + ctx.config.IDEMPOTENCY_TTL_MS);
        const stored = await waitForKey(ctx, trx, () => claimKey(trx, scope, hash, expiresAt));
        if (stored && stored.requestHash !== hash) {
          throw errors.IDEMPOTENCY_KEY_REUSED(
            'This Idempotency-Key was already used for a different request; use a new key for a new request',
          );
        }
        if (stored) throw new Replay({ status: stored.status, body: stored.body, replayed: true });
        claimed = true;
      };
      const result = await work(trx, claim);
      if (!claimed) throw new Error('idempotent work finished without claiming its key');
      await saveResult(trx, scope, result.status, result.body);
      return { ...result, replayed: false };
    });
  } catch (error) {
    if (error instanceof Replay) return error.result;
    throw error;
  }
}

/** Waits at most IDEMPOTENCY_WAIT_MS for a concurrent request holding the same key. */
async function waitForKey<T>(ctx: KbContext, trx: Db, take: () => Promise<T>): Promise<T> {
  await sql`select set_config('lock_timeout', ${String(ctx.config.IDEMPOTENCY_WAIT_MS)}, true)`.execute(trx);
  try {
    const taken = await take();
    await sql`set local lock_timeout to default`.execute(trx);
    return taken;
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') {
      throw errors.IDEMPOTENCY_IN_PROGRESS(
        'A request with this Idempotency-Key is still in progress; retry shortly',
        undefined,
        { 'retry-after': '1' },
      );
    }
    throw error;
  }
}

/** Sends a result; a replayed one says so in `Idempotent-Replayed`. */
export function sendResult(reply: FastifyReply, result: HttpResult) {
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(result.status).send(result.body);
}

/** Forgets expired results every hour (a claim also drops an expired result of its own key). */
export function startKeyPurge(ctx: KbContext, everyMs = 3_600_000): () => void {
  const timer = setInterval(() => {
    purgeExpiredKeys(ctx.db, ctx.clock()).catch((error) =>
      ctx.logger.warn({ err: error }, 'purging expired idempotency keys failed; will try again'),
    );
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
