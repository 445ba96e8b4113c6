/** The registry service: LLM models, encrypted credentials, connection tests, defaults and LLM settings. */
import { STREAMS } from '@lumikb/contracts';
import { testModelConnection } from '@lumikb/llm';
import { defineService, type PlatformDeps } from '@lumikb/service-kit';
import { litellmOf, outboundPolicyFor } from '@lumikb/service-kit/llm';
import { type Config, readConfig } from './config.ts';
import type { RegistryContext } from './context.ts';
import { SecretBox } from './crypto/secret-box.ts';
import { type RegistryDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { registerInternalRoutes } from './internal/routes.ts';
import { bootstrapRegistry } from './models/bootstrap.ts';
import type { ConnectionTester } from './models/connection-test.ts';
import { registerModelRoutes } from './models/routes.ts';
import { syncStateConsumer } from './models/sync-state.consumer.ts';
import { registerSettingsRoutes } from './settings/routes.ts';
import { SettingsSnapshotKeeper } from './settings/snapshot-keeper.ts';
import { kbUsageConsumer } from './usage/kb-usage.consumer.ts';

export interface Deps extends PlatformDeps<RegistryDatabase> {
  /** Connection tests (default: @lumikb/llm's testModelConnection). */
  tester?: ConnectionTester;
}

export const service = defineService<Config, RegistryDatabase, Deps, RegistryContext>({
  name: 'registry',
  description: 'LLM models, encrypted credentials, connection tests, defaults and LLM settings.',
  schema: SCHEMA,
  migrations,
  streams: [STREAMS.MODELS, STREAMS.CONFIG, STREAMS.AUDIT, STREAMS.KB],
  readConfig,
  context: ({ app, config, deps, logger }) => {
    const db = deps.db.db;
    return {
      db,
      bus: deps.bus,
      config,
      logger,
      secrets: new SecretBox(config.encryptionKeys),
      tester: deps.tester ?? testModelConnection,
      testTimeoutMs: config.CONNECTION_TEST_TIMEOUT_MS,
      outbound: outboundPolicyFor(app, config),
      litellm: litellmOf(config),
    };
  },
  routes: [registerModelRoutes, registerSettingsRoutes, registerInternalRoutes],
  consumers: [kbUsageConsumer, syncStateConsumer],
  ready: (ctx) =>
    bootstrapRegistry({
      db: ctx.db,
      secrets: ctx.secrets,
      registerLocalModels: ctx.config.REGISTER_LOCAL_MODELS,
      logger: ctx.logger,
    }),
  background: [
    (ctx) =>
      new SettingsSnapshotKeeper({
        db: ctx.db,
        bus: ctx.bus,
        logger: ctx.logger.child({ component: 'settings-snapshot' }),
        intervalMs: ctx.config.SETTINGS_SNAPSHOT_CHECK_MS,
      }),
  ],
});

export const { connect, buildApp } = service;
export const SERVICE = service.name;
export const STREAMS_USED = service.streams;
