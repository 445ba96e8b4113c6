/** The knowledge-base service: knowledge bases, documents, search, chat and queue monitoring. */
import fastifyMultipart from '@fastify/multipart';
import { STREAMS } from '@lumikb/contracts';
import type { EventConsumer } from '@lumikb/events';
import { LlmRouter, type LlmRouterOptions, OutboundPolicy, parseAllowHosts } from '@lumikb/llm';
import {
  connectPlatform,
  createPlatformApp,
  DependencyError,
  ownServiceUrls,
  type PlatformDeps,
  type ServiceApp,
} from '@lumikb/service-kit';
import { SettingsSubscriber } from '@lumikb/settings';
import { openVectorStore, type VectorStore, type VectorStoreOptions } from '@lumikb/vector-store';
import type { Logger } from 'pino';
import { registerChatRoutes } from './chat/routes.ts';
import type { FallbackHolder } from './chat/service.ts';
import type { Config } from './config.ts';
import type { KbContext } from './context.ts';
import { registerConversationRoutes } from './conversations/routes.ts';
import { AnswerRegistry, startLapsedAnswerSweep } from './conversations/service.ts';
import { type KnowledgeBaseDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { type BlobStore, largeObjectStore } from './documents/blob-store.ts';
import { createProcessingConsumer } from './documents/processing.ts';
import { registerDocumentRoutes } from './documents/routes.ts';
import { startSweep } from './documents/sweep.ts';
import { startKeyPurge } from './idempotency/service.ts';
import { registerInternalRoutes } from './internal/routes.ts';
import { registerKnowledgeBaseRoutes } from './knowledge-bases/routes.ts';
import { createKbMetrics } from './metrics.ts';
import { createModelProjection } from './models/projection.ts';
import { createIdentityConsumer } from './permissions/identity.ts';
import { registerPermissionRoutes } from './permissions/routes.ts';
import { registerQueueRoutes } from './queue/routes.ts';
import { queueProbe } from './queue/service.ts';
import { PerUserConcurrency } from './requests/caller-lifetime.ts';
import { registerSearchRoutes } from './search/routes.ts';
import type { SettingsSource } from './settings.ts';

export const SERVICE = 'knowledge-base';
export const STREAMS_USED = [STREAMS.KB, STREAMS.DOCUMENTS, STREAMS.MODELS, STREAMS.USERS, STREAMS.AUDIT];

export interface Deps extends PlatformDeps<KnowledgeBaseDatabase> {
  vectors: VectorStore;
  logger?: Logger;
  /**
   * Defaults to a router over LITELLM_PROXY_URL with the built-in local provider. A factory gets
   * the service's options (metrics registry, fallback to the default generation model).
   */
  llm?: LlmRouter | ((options: LlmRouterOptions) => LlmRouter);
  blobs?: BlobStore;
  /** Defaults to a subscriber of config.updated (hot-reloaded settings). */
  settings?: SettingsSource;
  clock?: () => Date;
}

export function vectorStoreOptionsOf(config: Config): VectorStoreOptions {
  return {
    ...(config.QDRANT_URL ? { qdrantUrl: config.QDRANT_URL } : {}),
    ...(config.QDRANT_API_KEY ? { qdrantApiKey: config.QDRANT_API_KEY } : {}),
    databaseUrl: config.DATABASE_URL,
    schema: config.VECTOR_SCHEMA,
  };
}

/** Connects Postgres (migrated), JetStream and the vector store, or explains why not. */
export async function connect(config: Config, options: { runMigrations?: boolean } = {}): Promise<Deps> {
  const platform = await connectPlatform<KnowledgeBaseDatabase>({
    service: SERVICE,
    schema: SCHEMA,
    migrations,
    streams: STREAMS_USED,
    config,
    ...options,
  });
  try {
    return { ...platform, vectors: await openVectorStore(vectorStoreOptionsOf(config)) };
  } catch (error) {
    await platform.bus.close();
    await platform.db.close();
    throw new DependencyError((error as Error).message);
  }
}

export async function buildApp(config: Config, deps: Deps): Promise<ServiceApp> {
  const subscriber = deps.settings
    ? undefined
    : await SettingsSubscriber.start({
        bus: deps.bus,
        ...(deps.logger ? { logger: deps.logger.child({ component: 'settings' }) } : {}),
      });
  const settings: SettingsSource = deps.settings ?? subscriber!;
  const { app } = await createPlatformApp({
    service: SERVICE,
    description: 'knowledge bases, documents, search, chat and queue monitoring.',
    config,
    deps,
    ...(deps.logger ? { logger: deps.logger } : {}),
    extraReadiness: () => [
      { name: 'vector_store', check: () => deps.vectors.health() },
      ...(subscriber ? [subscriber.readiness()] : []),
    ],
  });
  const logger = app.log as unknown as Logger;
  const fallback: FallbackHolder = { model: undefined };
  const outbound = new OutboundPolicy({
    ownServiceUrls: [...ownServiceUrls(config), `http://127.0.0.1:${config.PORT}`],
    allowHosts: parseAllowHosts(config.OUTBOUND_ALLOW_HOSTS),
  });
  app.addHook('onClose', () => outbound.close());
  const llmOptions: LlmRouterOptions = {
    ...(config.LITELLM_PROXY_URL
      ? {
          litellm: {
            url: config.LITELLM_PROXY_URL,
            ...(config.LITELLM_MASTER_KEY ? { masterKey: config.LITELLM_MASTER_KEY } : {}),
          },
        }
      : {}),
    registry: app.metricsRegistry,
    logger: logger.child({ component: 'llm' }),
    fallbackGeneration: () => fallback.model,
    outbound,
  };
  const llm = typeof deps.llm === 'function' ? deps.llm(llmOptions) : (deps.llm ?? new LlmRouter(llmOptions));
  const ctx: KbContext = {
    db: deps.db.db,
    bus: deps.bus,
    vectors: deps.vectors,
    llm,
    blobs: deps.blobs ?? largeObjectStore(),
    settings,
    config,
    logger,
    metrics: createKbMetrics(app.metricsRegistry),
    clock: deps.clock ?? (() => new Date()),
    concurrency: {
      chat: new PerUserConcurrency(config.CHAT_MAX_CONCURRENT_PER_USER, 'chat answers'),
      search: new PerUserConcurrency(config.SEARCH_MAX_CONCURRENT_PER_USER, 'searches'),
    },
  };

  // Upload size is checked per request against the hot-reloaded limit; this is a ceiling.
  // A file cut at the limit is refused by the upload code (per file in a bulk upload).
  await app.register(fastifyMultipart, {
    limits: { fileSize: 2_048 * 1024 * 1024, files: 1 },
    throwFileSizeLimit: false,
  });
  registerKnowledgeBaseRoutes(app, ctx);
  registerPermissionRoutes(app, ctx);
  registerDocumentRoutes(app, ctx);
  registerSearchRoutes(app, ctx);
  const answers = new AnswerRegistry();
  registerChatRoutes(app, ctx, fallback, answers);
  registerConversationRoutes(app, ctx, fallback, answers);
  registerQueueRoutes(app, ctx);
  registerInternalRoutes(app, ctx);

  const consumers: EventConsumer[] = [
    createModelProjection({
      db: ctx.db,
      bus: deps.bus,
      logger: logger.child({ component: 'model-projection' }),
      registry: app.metricsRegistry,
    }),
    createProcessingConsumer(ctx, app.metricsRegistry),
    createIdentityConsumer(ctx, app.metricsRegistry),
  ];
  let stopSweep: (() => void) | undefined;
  let stopKeyPurge: (() => void) | undefined;
  let stopAnswerSweep: (() => void) | undefined;
  app.addHook('onReady', async () => {
    for (const consumer of consumers) await consumer.start();
    stopAnswerSweep = startLapsedAnswerSweep(ctx);
    stopSweep = startSweep(ctx, () => queueProbe(ctx));
    stopKeyPurge = startKeyPurge(ctx);
  });
  // Answers still being written end "interrupted" (their text kept) before the service goes.
  app.addHook('preClose', async () => answers.shutdown());
  app.addHook('onClose', async () => {
    stopAnswerSweep?.();
    stopSweep?.();
    stopKeyPurge?.();
    await Promise.all(consumers.map((c) => c.stop()));
    await subscriber?.stop();
    await deps.vectors.close().catch(() => {});
  });
  return app;
}
