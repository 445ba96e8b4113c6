/** The knowledge-base service: knowledge bases, documents, search, chat and queue monitoring. */
import fastifyMultipart from '@fastify/multipart';
import { STREAMS } from '@lumikb/contracts';
import type { LlmRouter, LlmRouterOptions } from '@lumikb/llm';
import { backgroundTask, defineService, type PlatformDeps } from '@lumikb/service-kit';
import { llmRouterFor, outboundPolicyFor } from '@lumikb/service-kit/llm';
import { vectorStore } from '@lumikb/service-kit/vector-store';
import { liveSettingsFor } from '@lumikb/settings';
import type { VectorStore } from '@lumikb/vector-store';
import { registerChatRoutes } from './chat/routes.ts';
import type { FallbackHolder } from './chat/service.ts';
import { type Config, readConfig } from './config.ts';
import type { KbContext } from './context.ts';
import { registerConversationRoutes } from './conversations/routes.ts';
import { AnswerRegistry, startLapsedAnswerSweep } from './conversations/service.ts';
import { type KnowledgeBaseDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { type BlobStore, largeObjectStore } from './documents/blob-store.ts';
import { registerDocumentRoutes } from './documents/routes.ts';
import { startSweep } from './documents/sweep.ts';
import { workerReportsConsumer } from './documents/worker-reports.consumer.ts';
import { startKeyPurge } from './idempotency/service.ts';
import { registerInternalRoutes } from './internal/routes.ts';
import { lexicalBackfillLoop } from './knowledge-bases/lexical-backfill.ts';
import { registerKnowledgeBaseRoutes } from './knowledge-bases/routes.ts';
import { createKbMetrics } from './metrics.ts';
import { modelProjectionConsumer } from './models/model-projection.consumer.ts';
import { identityConsumer } from './permissions/identity.consumer.ts';
import { registerPermissionRoutes } from './permissions/routes.ts';
import { registerQueueRoutes } from './queue/routes.ts';
import { queueProbe } from './queue/service.ts';
import { PerUserConcurrency } from './requests/caller-lifetime.ts';
import { registerSearchRoutes } from './search/routes.ts';
import type { SettingsSource } from './settings.ts';

export interface Deps extends PlatformDeps<KnowledgeBaseDatabase> {
  vectors: VectorStore;
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

export const service = defineService<Config, KnowledgeBaseDatabase, Deps, KbContext>({
  name: 'knowledge-base',
  description: 'knowledge bases, documents, search, chat and queue monitoring.',
  schema: SCHEMA,
  migrations,
  streams: [STREAMS.KB, STREAMS.DOCUMENTS, STREAMS.MODELS, STREAMS.USERS, STREAMS.AUDIT],
  readConfig,
  capabilities: { vectors: vectorStore },
  context: async (wiring) => {
    const { app, config, deps, logger } = wiring;
    const settings = await liveSettingsFor(wiring);
    const fallback: FallbackHolder = { model: undefined };
    const answers = new AnswerRegistry();
    // Answers still being written end "interrupted" (their text kept) before the service goes.
    app.addHook('preClose', async () => answers.shutdown());
    const llm = llmRouterFor(app, config, {
      outbound: outboundPolicyFor(app, config),
      given: deps.llm,
      extra: { fallbackGeneration: () => fallback.model },
    });
    // Upload size is checked per request against the hot-reloaded limit; this is a ceiling.
    // A file cut at the limit is refused by the upload code (per file in a bulk upload).
    await app.register(fastifyMultipart, {
      limits: { fileSize: 2_048 * 1024 * 1024, files: 1 },
      throwFileSizeLimit: false,
    });
    return {
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
      fallback,
      answers,
    };
  },
  routes: [
    registerKnowledgeBaseRoutes,
    registerPermissionRoutes,
    registerDocumentRoutes,
    registerSearchRoutes,
    registerChatRoutes,
    registerConversationRoutes,
    registerQueueRoutes,
    registerInternalRoutes,
  ],
  consumers: [modelProjectionConsumer, workerReportsConsumer, identityConsumer],
  background: [
    (ctx) => backgroundTask(() => startSweep(ctx, () => queueProbe(ctx))),
    (ctx) => backgroundTask(() => startKeyPurge(ctx)),
    (ctx) => backgroundTask(() => startLapsedAnswerSweep(ctx)),
    (ctx) => lexicalBackfillLoop(ctx),
  ],
});

export const { connect, buildApp } = service;
export const SERVICE = service.name;
export const STREAMS_USED = service.streams;
