/** The proxy-sync service: mirrors active models into the LiteLLM proxy. */
import { STREAMS } from '@lumikb/contracts';
import { connectPlatform, createPlatformApp, type PlatformDeps, type ServiceApp } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { type ProxySyncDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';

export const SERVICE = 'proxy-sync';
export const STREAMS_USED = [STREAMS.MODELS];

export interface Deps extends PlatformDeps<ProxySyncDatabase> {
  logger?: Logger;
}

/** Connects this service's Postgres schema (migrated) and its JetStream streams. */
export function connect(config: Config, options: { runMigrations?: boolean } = {}) {
  return connectPlatform<ProxySyncDatabase>({
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
    description: 'mirrors active models into the LiteLLM proxy.',
    config,
    deps,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return app;
}
