/**
 * Auth's own check after the kit's signature check: the token's user must still exist
 * and be active, the token must not predate a revocation (password change, sign-out
 * everywhere, deactivation), and the user's current level — not the one frozen in the
 * token — must meet the route's. Other services rely on the short access-token TTL.
 */
import { ACCESS_LEVEL, type RouteAccess } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { kitErrors } from '@lumikb/service-kit';
import type { FastifyRequest, RouteOptions } from 'fastify';
import type { AuthDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { sessionState } from '../users/repository.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function sessionCheck(db: Kysely<AuthDatabase>) {
  return async (request: FastifyRequest): Promise<void> => {
    const claims = request.user as (typeof request.user & { iat?: number }) | undefined;
    if (claims?.typ !== 'access') return;
    const state = UUID.test(claims.sub) ? await sessionState(db, claims.sub) : undefined;
    if (!state) throw errors.TOKEN_REVOKED('This account no longer exists');
    if (!state.isActive) throw errors.ACCOUNT_DEACTIVATED('This account is deactivated');
    if ((claims.iat ?? 0) * 1000 < state.tokensValidAfter.getTime()) {
      throw errors.TOKEN_REVOKED('This session was ended; sign in again');
    }
    const access = request.routeOptions.config.access as RouteAccess | undefined;
    if (access === 'user' || access === 'operator' || access === 'admin') {
      const needed = ACCESS_LEVEL[access];
      if (state.level < needed) {
        throw kitErrors.INSUFFICIENT_LEVEL(`This action requires permission level ${needed} (${access})`, {
          required: needed,
          actual: state.level,
        });
      }
    }
  };
}

/** Appends the check to every user-facing route registered after this call (after the kit's guard). */
export function installSessionCheck(
  app: { addHook(name: 'onRoute', hook: (route: RouteOptions) => void): unknown },
  db: Kysely<AuthDatabase>,
): void {
  const check = sessionCheck(db);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (!access || access === 'public' || access === 'service') return;
    const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
    route.onRequest = [...existing, check];
  });
}
