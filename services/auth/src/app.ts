/** The auth service: users, sign-in, groups and permission levels, the audit trail. */
import { STREAMS } from '@lumikb/contracts';
import { connectPlatform, createPlatformApp, type PlatformDeps, type ServiceApp } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { type AuthDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';

export const SERVICE = 'auth';
export const STREAMS_USED = [STREAMS.USERS, STREAMS.AUDIT];

export interface Deps extends PlatformDeps<AuthDatabase> {
  logger?: Logger;
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
  const { app } = await createPlatformApp({
    service: SERVICE,
    description: 'users, sign-in, groups and permission levels, the audit trail.',
    config,
    deps,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return app;
}
