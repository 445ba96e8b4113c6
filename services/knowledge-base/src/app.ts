/** The knowledge-base service: knowledge bases, documents, search, chat and queue monitoring. */
import { STREAMS } from '@lumikb/contracts';
import { connectPlatform, createPlatformApp, type PlatformDeps, type ServiceApp } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { type KnowledgeBaseDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';

export const SERVICE = 'knowledge-base';
export const STREAMS_USED = [STREAMS.KB, STREAMS.DOCUMENTS, STREAMS.AUDIT];

export interface Deps extends PlatformDeps<KnowledgeBaseDatabase> {
  logger?: Logger;
}

/** Connects this service's Postgres schema (migrated) and its JetStream streams. */
export function connect(config: Config, options: { runMigrations?: boolean } = {}) {
  return connectPlatform<KnowledgeBaseDatabase>({
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
    description: 'knowledge bases, documents, search, chat and queue monitoring.',
    config,
    deps,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return app;
}
