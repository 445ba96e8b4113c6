/** The ingestion-worker service: parse, chunk, embed and index uploaded documents. */
import { STREAMS } from '@lumikb/contracts';
import { connectPlatform, createPlatformApp, type PlatformDeps, type ServiceApp } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { type IngestionWorkerDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';

export const SERVICE = 'ingestion-worker';
export const STREAMS_USED = [STREAMS.DOCUMENTS];

export interface Deps extends PlatformDeps<IngestionWorkerDatabase> {
  logger?: Logger;
}

/** Connects this service's Postgres schema (migrated) and its JetStream streams. */
export function connect(config: Config, options: { runMigrations?: boolean } = {}) {
  return connectPlatform<IngestionWorkerDatabase>({
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
    description: 'parse, chunk, embed and index uploaded documents.',
    config,
    deps,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return app;
}
