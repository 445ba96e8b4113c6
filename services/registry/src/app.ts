/** The registry service: LLM models, encrypted credentials, connection tests, defaults and LLM settings. */
import { STREAMS } from '@lumikb/contracts';
import { connectPlatform, createPlatformApp, type PlatformDeps, type ServiceApp } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { type RegistryDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';

export const SERVICE = 'registry';
export const STREAMS_USED = [STREAMS.MODELS, STREAMS.CONFIG, STREAMS.AUDIT];

export interface Deps extends PlatformDeps<RegistryDatabase> {
  logger?: Logger;
}

/** Connects this service's Postgres schema (migrated) and its JetStream streams. */
export function connect(config: Config, options: { runMigrations?: boolean } = {}) {
  return connectPlatform<RegistryDatabase>({
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
    description: 'LLM models, encrypted credentials, connection tests, defaults and LLM settings.',
    config,
    deps,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return app;
}
