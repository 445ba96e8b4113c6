/** The registry service: LLM models, encrypted credentials, connection tests, defaults and LLM settings. */
import { STREAMS } from '@lumikb/contracts';
import { OutboundPolicy, parseAllowHosts, testModelConnection } from '@lumikb/llm';
import {
  connectPlatform,
  createPlatformApp,
  ownServiceUrls,
  type PlatformDeps,
  type ServiceApp,
} from '@lumikb/service-kit';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { SecretBox } from './crypto/secret-box.ts';
import { type RegistryDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { registerInternalRoutes } from './internal/routes.ts';
import { bootstrapRegistry } from './models/bootstrap.ts';
import type { ConnectionTester } from './models/connection-test.ts';
import { registerModelRoutes } from './models/routes.ts';
import { ModelService } from './models/service.ts';
import { syncStateConsumer } from './models/sync-consumer.ts';
import { registerSettingsRoutes } from './settings/routes.ts';
import { SettingsService } from './settings/service.ts';
import { SettingsSnapshotKeeper } from './settings/snapshot-keeper.ts';
import { kbUsageConsumer } from './usage/consumer.ts';

export const SERVICE = 'registry';
export const STREAMS_USED = [STREAMS.MODELS, STREAMS.CONFIG, STREAMS.AUDIT, STREAMS.KB];

export interface Deps extends PlatformDeps<RegistryDatabase> {
  logger?: Logger;
  /** Connection tests (default: @lumikb/llm's testModelConnection). */
  tester?: ConnectionTester;
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
  const db = deps.db.db;
  const logger = app.log as unknown as Logger;
  const secrets = new SecretBox(config.encryptionKeys);
  const outbound = new OutboundPolicy({
    ownServiceUrls: [...ownServiceUrls(config), `http://127.0.0.1:${config.PORT}`],
    allowHosts: parseAllowHosts(config.OUTBOUND_ALLOW_HOSTS),
  });
  app.addHook('onClose', () => outbound.close());
  const models = new ModelService({
    db,
    secrets,
    tester: deps.tester ?? testModelConnection,
    testTimeoutMs: config.CONNECTION_TEST_TIMEOUT_MS,
    outbound,
    litellm: config.LITELLM_PROXY_URL
      ? {
          url: config.LITELLM_PROXY_URL,
          ...(config.LITELLM_MASTER_KEY ? { masterKey: config.LITELLM_MASTER_KEY } : {}),
        }
      : undefined,
    logger,
  });
  const settings = new SettingsService(db, models);

  registerModelRoutes(app, models);
  registerSettingsRoutes(app, settings);
  registerInternalRoutes(app, models);

  const consumerOptions = { bus: deps.bus, db, registry: app.metricsRegistry };
  const consumers = [
    kbUsageConsumer({ ...consumerOptions, logger: logger.child({ component: 'kb-usage' }) }),
    syncStateConsumer({ ...consumerOptions, logger: logger.child({ component: 'sync-state' }) }),
  ];
  const keeper = new SettingsSnapshotKeeper({
    db,
    bus: deps.bus,
    logger: logger.child({ component: 'settings-snapshot' }),
    intervalMs: config.SETTINGS_SNAPSHOT_CHECK_MS,
  });

  app.addHook('onReady', async () => {
    await bootstrapRegistry({ db, secrets, registerLocalModels: config.REGISTER_LOCAL_MODELS, logger });
    for (const consumer of consumers) await consumer.start();
    keeper.start();
  });
  app.addHook('onClose', async () => {
    await keeper.stop();
    await Promise.all(consumers.map((c) => c.stop()));
  });
  return app;
}
