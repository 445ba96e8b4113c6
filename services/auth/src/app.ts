/** The auth service: users, sign-in, groups and permission levels, the audit trail. */
import { STREAMS } from '@lumikb/contracts';
import { connectPlatform, createPlatformApp, type PlatformDeps, type ServiceApp } from '@lumikb/service-kit';
import { type SettingsSource, SettingsSubscriber } from '@lumikb/settings';
import type { Logger } from 'pino';
import { createAuditConsumer } from './audit/consumer.ts';
import { registerAuditRoutes } from './audit/routes.ts';
import type { Config } from './config.ts';
import { type AuthDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { registerGroupRoutes } from './groups/routes.ts';
import { TokenIssuer } from './security/tokens.ts';
import { registerServiceIdentityRoutes } from './service-identity/routes.ts';
import { installSessionCheck } from './sessions/guard.ts';
import { registerSessionRoutes } from './sessions/routes.ts';
import { ensureFirstAdmin } from './users/first-admin.ts';
import { registerUserRoutes } from './users/routes.ts';

export const SERVICE = 'auth';
export const STREAMS_USED = [STREAMS.USERS, STREAMS.AUDIT];

export interface Deps extends PlatformDeps<AuthDatabase> {
  logger?: Logger;
  /** Defaults to a subscriber of config.updated (the Config page's settings, live). */
  settings?: SettingsSource;
}

/** Connects this service's Postgres schema (migrated) and its JetStream streams. */
export function connect(config: Config, options: { runMigrations?: boolean } = {}) {
  return connectPlatform<AuthDatabase>({
    service: SERVICE,
    schema: SCHEMA,
    migrations,
    streams: STREAMS_USED,
    config,
    ...options,
  });
}

export async function buildApp(config: Config, deps: Deps): Promise<ServiceApp> {
  // Fails before anything starts when the private key is unusable or not the public key's pair.
  const issuer = new TokenIssuer(config.JWT_PRIVATE_KEY, config.JWT_PUBLIC_KEY, {
    accessSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    serviceSeconds: config.SERVICE_TOKEN_TTL_SECONDS,
  });
  const subscriber = deps.settings
    ? undefined
    : await SettingsSubscriber.start({
        bus: deps.bus,
        ...(deps.logger ? { logger: deps.logger.child({ component: 'settings' }) } : {}),
      });
  const settings: SettingsSource = deps.settings ?? subscriber!;
  const { app } = await createPlatformApp({
    service: SERVICE,
    description: 'users, sign-in, groups and permission levels, the audit trail.',
    config,
    deps,
    ...(deps.logger ? { logger: deps.logger } : {}),
    extraReadiness: () => (subscriber ? [subscriber.readiness()] : []),
  });
  if (subscriber) app.addHook('onClose', () => subscriber.stop());
  const db = deps.db.db;
  const log = app.log as unknown as Logger;

  installSessionCheck(app, db);
  registerSessionRoutes(app, {
    db,
    issuer,
    config,
    loginAttemptsPerMinute: () => settings.snapshot.system.rate_limits.login_attempts_per_minute,
    sessionTimeoutMinutes: () => settings.snapshot.system.session_timeout_minutes,
  });
  registerUserRoutes(app, { db });
  registerGroupRoutes(app, { db });
  registerAuditRoutes(app, { db });
  registerServiceIdentityRoutes(app, { db, issuer, secret: config.SERVICE_CLIENT_SECRET });

  const auditTrail = createAuditConsumer({
    db,
    bus: deps.bus,
    logger: log.child({ component: 'audit-consumer' }),
    registry: app.metricsRegistry,
  });
  app.addHook('onReady', () => auditTrail.start());
  // Registered after the kit's hook, so it runs first: consumers stop before NATS closes.
  app.addHook('onClose', () => auditTrail.stop());

  await ensureFirstAdmin(
    db,
    { email: config.LUMIKB_ADMIN_EMAIL, password: config.LUMIKB_ADMIN_PASSWORD },
    log.child({ component: 'first-admin' }),
  );
  return app;
}
