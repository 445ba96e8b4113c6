/** The proxy-sync service: mirrors active models into the LiteLLM proxy. */
import { STREAMS } from '@lumikb/contracts';
import {
  createServiceTokenSource,
  defineService,
  type PlatformDeps,
  type ServiceTokenSource,
} from '@lumikb/service-kit';
import { outboundPolicyFor } from '@lumikb/service-kit/llm';
import { type Config, readConfig } from './config.ts';
import type { ProxySyncContext } from './context.ts';
import { type ProxySyncDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { createRegistryClient, LiteLlmClient } from './sync/clients.ts';
import { modelEventsConsumer } from './sync/model-events.consumer.ts';
import { registerSyncRoutes } from './sync/routes.ts';
import { SyncService } from './sync/service.ts';

export interface Deps extends PlatformDeps<ProxySyncDatabase> {
  /** Service-identity tokens for the registry's internal API (default: from auth with SERVICE_CLIENT_SECRET). */
  serviceToken?: ServiceTokenSource;
}

export const service = defineService<Config, ProxySyncDatabase, Deps, ProxySyncContext>({
  name: 'proxy-sync',
  description: 'mirrors active models into the LiteLLM proxy.',
  schema: SCHEMA,
  migrations,
  streams: [STREAMS.MODELS, STREAMS.AUDIT],
  readConfig,
  context: ({ app, config, deps, logger: root, addReadiness }) => {
    const logger = root.child({ component: 'sync' });
    const shutdown = new AbortController();
    const outbound = outboundPolicyFor(app, config);
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
        ? createServiceTokenSource({
            authUrl: config.AUTH_URL,
            service: 'proxy-sync',
            secret: config.SERVICE_CLIENT_SECRET,
          })
        : undefined);
    const registry = tokens
      ? createRegistryClient({
          url: config.REGISTRY_URL,
          token: tokens,
          timeoutMs: config.REGISTRY_TIMEOUT_MS,
          signal: shutdown.signal,
        })
      : undefined;
    const sync = new SyncService({
      db: deps.db.db,
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
    // The proxy is not critical: without it, changes wait here and /ready says `degraded`.
    addReadiness({ name: 'litellm', critical: false, timeoutMs: 3_000, check: () => sync.readiness() });
    // Calls in flight are cancelled (and not counted as failures): the change stays
    // pending in the database and is synced after the restart.
    app.addHook('onClose', async () => {
      const stopped = sync.stop();
      shutdown.abort();
      await stopped;
    });
    return { db: deps.db.db, sync };
  },
  routes: [registerSyncRoutes],
  consumers: [modelEventsConsumer],
  background: [(ctx) => ({ start: () => ctx.sync.start(), stop: () => {} })],
});

export const { connect, buildApp } = service;
export const SERVICE = service.name;
export const STREAMS_USED = service.streams;
