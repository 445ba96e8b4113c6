/** The proxy-sync service: mirrors active models into the LiteLLM proxy. */
import { STREAMS } from '@lumikb/contracts';
import { OutboundPolicy, parseAllowHosts } from '@lumikb/llm';
import {
  connectPlatform,
  createPlatformApp,
  createServiceTokenSource,
  ownServiceUrls,
  type PlatformDeps,
  type ServiceApp,
  type ServiceTokenSource,
} from '@lumikb/service-kit';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { type ProxySyncDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { LiteLlmClient, RegistryClient } from './sync/clients.ts';
import { modelEventsConsumer } from './sync/consumer.ts';
import { registerSyncRoutes } from './sync/routes.ts';
import { SyncService } from './sync/service.ts';

export const SERVICE = 'proxy-sync';
export const STREAMS_USED = [STREAMS.MODELS, STREAMS.AUDIT];

export interface Deps extends PlatformDeps<ProxySyncDatabase> {
  logger?: Logger;
  /** Service-identity tokens for the registry's internal API (default: from auth with SERVICE_CLIENT_SECRET). */
  serviceToken?: ServiceTokenSource;
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
  let sync: SyncService | undefined;
  const { app } = await createPlatformApp({
    service: SERVICE,
    description: 'mirrors active models into the LiteLLM proxy.',
    config,
    deps,
    ...(deps.logger ? { logger: deps.logger } : {}),
    // The proxy is not critical: without it, changes wait here and /ready says `degraded`.
    extraReadiness: () => [
      {
        name: 'litellm',
        critical: false,
        timeoutMs: 3_000,
        check: () => (sync ? sync.readiness() : Promise.reject(new Error('starting'))),
      },
    ],
  });
  const logger = (app.log as unknown as Logger).child({ component: 'sync' });
  const db = deps.db.db;

  const shutdown = new AbortController();
  const outbound = new OutboundPolicy({
    ownServiceUrls: [...ownServiceUrls(config), `http://127.0.0.1:${config.PORT}`],
    allowHosts: parseAllowHosts(config.OUTBOUND_ALLOW_HOSTS),
  });
  app.addHook('onClose', () => outbound.close());
  const litellm = config.LITELLM_PROXY_URL
    ? new LiteLlmClient(
        config.LITELLM_PROXY_URL,
        config.LITELLM_MASTER_KEY,
        config.LITELLM_TIMEOUT_MS,
        shutdown.signal,
        outbound,
      )
    : undefined;
  const tokens =
    deps.serviceToken ??
    (config.SERVICE_CLIENT_SECRET
      ? createServiceTokenSource({ authUrl: config.AUTH_URL, service: SERVICE, secret: config.SERVICE_CLIENT_SECRET })
      : undefined);
  const registry = tokens
    ? new RegistryClient(config.REGISTRY_URL, tokens, config.REGISTRY_TIMEOUT_MS, shutdown.signal)
    : undefined;

  sync = new SyncService({
    db,
    litellm,
    registry,
    logger,
    urls: { ollamaUrlForProxy: config.OLLAMA_URL_FOR_PROXY, lmStudioUrlForProxy: config.LMSTUDIO_URL_FOR_PROXY },
    outbound,
    retryMinMs: config.SYNC_RETRY_MIN_MS,
    retryMaxMs: config.SYNC_RETRY_MAX_MS,
    reconcileIntervalMs: config.RECONCILE_INTERVAL_MS,
    secrets: [config.LITELLM_MASTER_KEY, config.SERVICE_CLIENT_SECRET],
    metrics: app.metricsRegistry,
  });
  const service = sync;
  const consumer = modelEventsConsumer({
    bus: deps.bus,
    db,
    sync: service,
    logger: logger.child({ component: 'model-events' }),
    registry: app.metricsRegistry,
  });
  registerSyncRoutes(app, service, db);

  app.addHook('onReady', async () => {
    await consumer.start();
    service.start();
  });
  app.addHook('onClose', async () => {
    await consumer.stop();
    // Calls in flight are cancelled (and not counted as failures): the change stays
    // pending in the database and is synced after the restart.
    const stopped = service.stop();
    shutdown.abort();
    await stopped;
  });
  return app;
}
