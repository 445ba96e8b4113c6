/** The auth service: users, sign-in, groups and permission levels, the audit trail. */
import { STREAMS } from '@lumikb/contracts';
import { defineService, type PlatformDeps } from '@lumikb/service-kit';
import { liveSettingsFor, type SettingsSource } from '@lumikb/settings';
import { auditTrailConsumer } from './audit/audit-trail.consumer.ts';
import { registerAuditRoutes } from './audit/routes.ts';
import { type Config, readConfig } from './config.ts';
import type { AuthContext } from './context.ts';
import { type AuthDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { registerGroupRoutes } from './groups/routes.ts';
import { usePasswordHashCost } from './security/passwords.ts';
import { TokenIssuer } from './security/tokens.ts';
import { registerServiceIdentityRoutes } from './service-identity/routes.ts';
import { installSessionCheck } from './sessions/guard.ts';
import { registerSessionRoutes } from './sessions/routes.ts';
import { ensureFirstAdmin } from './users/first-admin.ts';
import { registerUserRoutes } from './users/routes.ts';

export interface Deps extends PlatformDeps<AuthDatabase> {
  /** Defaults to a subscriber of config.updated (the Config page's settings, live). */
  settings?: SettingsSource;
}

export const service = defineService<Config, AuthDatabase, Deps, AuthContext>({
  name: 'auth',
  description: 'users, sign-in, groups and permission levels, the audit trail.',
  schema: SCHEMA,
  migrations,
  streams: [STREAMS.USERS, STREAMS.AUDIT],
  readConfig,
  context: async (wiring) => {
    const { config } = wiring;
    usePasswordHashCost(config.PASSWORD_HASH_COST);
    // Fails before anything starts when the private key is unusable or not the public key's pair.
    const issuer = new TokenIssuer(config.JWT_PRIVATE_KEY, config.JWT_PUBLIC_KEY, {
      accessSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      serviceSeconds: config.SERVICE_TOKEN_TTL_SECONDS,
    });
    const settings = await liveSettingsFor(wiring);
    return {
      db: wiring.deps.db.db,
      config,
      logger: wiring.logger,
      issuer,
      loginAttemptsPerMinute: () => settings.snapshot.system.rate_limits.login_attempts_per_minute,
      sessionTimeoutMinutes: () => settings.snapshot.system.session_timeout_minutes,
    };
  },
  routes: [
    (app, ctx) => installSessionCheck(app, ctx.db),
    registerSessionRoutes,
    registerUserRoutes,
    registerGroupRoutes,
    registerAuditRoutes,
    registerServiceIdentityRoutes,
  ],
  consumers: [auditTrailConsumer],
  prepare: (ctx) =>
    ensureFirstAdmin(
      ctx.db,
      { email: ctx.config.LUMIKB_ADMIN_EMAIL, password: ctx.config.LUMIKB_ADMIN_PASSWORD },
      ctx.logger.child({ component: 'first-admin' }),
    ),
});

export const { connect, buildApp } = service;
export const SERVICE = service.name;
export const STREAMS_USED = service.streams;
