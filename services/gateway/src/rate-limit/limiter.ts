/**
 * Per-minute rate limits on /api, shared by every gateway replica (counters in Postgres)
 * and read live from the Config page's `rate_limits.*`: per signed-in user (a verified
 * access token), per client address for anonymous calls. The client address is the
 * socket's unless TRUSTED_PROXIES says otherwise (see forwarded-headers.ts).
 *
 * When Postgres cannot count, requests pass (and a warning is logged): the limit is an
 * abuse brake, and an outage of it must not take the whole API down with it.
 */
import type { RateLimits } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { ACCESS_COOKIE, kitErrors } from '@lumikb/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayDatabase } from '../db/database.ts';
import { bucketOf, limitOf } from './buckets.ts';
import { countHit, forgetPastMinutes } from './counters.ts';

export interface RateLimiterOptions {
  db: Kysely<GatewayDatabase>;
  /** The current limits (read on every request, so a change applies to the next one). */
  limits: () => RateLimits;
}

/** Who is counted: the verified user, else the client address. A forged token is anonymous. */
function subjectOf(app: FastifyInstance, request: FastifyRequest): string {
  const bearer = /^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1];
  const token = bearer ?? request.cookies?.[ACCESS_COOKIE];
  if (token) {
    try {
      const claims = app.jwt.verify<{ sub: string; typ: string }>(token);
      if (claims.typ === 'access') return `user:${claims.sub}`;
    } catch {
      // Not a valid token: counted by address, and the upstream answers 401.
    }
  }
  return `ip:${request.ip}`;
}

export function installRateLimiter(app: FastifyInstance, options: RateLimiterOptions): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const path = request.url.split('?')[0] ?? request.url;
    const bucket = bucketOf(request.method, path);
    const limit = limitOf(options.limits(), bucket);
    let counted: { hits: number; resetSeconds: number };
    try {
      counted = await countHit(options.db, bucket, subjectOf(app, request));
    } catch (error) {
      request.log.warn({ err: error, bucket }, 'rate limit not counted (Postgres unavailable); request passes');
      return;
    }
    void reply.header('x-ratelimit-limit', String(limit));
    void reply.header('x-ratelimit-remaining', String(Math.max(0, limit - counted.hits)));
    void reply.header('x-ratelimit-reset', String(counted.resetSeconds));
    if (counted.hits > limit) {
      throw kitErrors.RATE_LIMITED(
        `Too many requests; retry in ${counted.resetSeconds} s`,
        { bucket, limit_per_minute: limit, retry_after_seconds: counted.resetSeconds },
        { 'retry-after': String(counted.resetSeconds) },
      );
    }
  });

  const sweep = setInterval(() => {
    forgetPastMinutes(options.db).catch((error) => app.log.warn({ err: error }, 'rate limit sweep failed'));
  }, 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
}
