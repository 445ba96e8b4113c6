/** The ingestion-worker service: parse, chunk, embed and index uploaded documents. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { INGESTION_CONSUMERS, STREAMS } from '@lumikb/contracts';
import { isNotFound } from '@lumikb/events';
import { ParseSandbox } from '@lumikb/ingest';
import { LlmRouter, OutboundPolicy, parseAllowHosts } from '@lumikb/llm';
import {
  connectPlatform,
  createPlatformApp,
  createServiceTokenSource,
  DependencyError,
  ownServiceUrls,
  type PlatformDeps,
  type ServiceApp,
  type ServiceTokenSource,
} from '@lumikb/service-kit';
import { openVectorStore, type VectorStore, type VectorStoreOptions } from '@lumikb/vector-store';
import type { Subscription } from 'nats';
import type { Logger } from 'pino';
import { backoffOf, type Config, parseSandboxOptionsOf } from './config.ts';
import { type IngestionWorkerDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { JobConsumer } from './jobs/consumer.ts';
import { createLimit } from './jobs/embed-limit.ts';
import { type DocumentParser, type ProcessorHooks, processJob } from './jobs/processor.ts';
import { createKbClient, type KbClient } from './kb-client.ts';
import { createWorkerMetrics } from './metrics.ts';
import { answerPresence } from './presence.ts';

export const SERVICE = 'ingestion-worker';
export const STREAMS_USED = [STREAMS.DOCUMENTS, STREAMS.AUDIT];

export interface Deps extends PlatformDeps<IngestionWorkerDatabase> {
  vectors: VectorStore;
  logger?: Logger;
  /** Defaults to a router over LITELLM_PROXY_URL with the built-in local provider. */
  llm?: LlmRouter;
  /** Defaults to tokens from the auth service (AUTH_URL + SERVICE_CLIENT_SECRET). */
  serviceToken?: ServiceTokenSource;
  /** Defaults to the knowledge-base service at KB_URL. */
  kb?: KbClient;
  hooks?: ProcessorHooks;
  /** Defaults to sandbox processes under the PARSE_* budgets (closed with the app). */
  parser?: DocumentParser;
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
  const platform = await connectPlatform<IngestionWorkerDatabase>({
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
  const { app } = await createPlatformApp({
    service: SERVICE,
    description: 'parse, chunk, embed and index uploaded documents.',
    config,
    deps,
    ...(deps.logger ? { logger: deps.logger } : {}),
    extraReadiness: () => [{ name: 'vector_store', check: () => deps.vectors.health() }],
  });
  const logger = app.log as unknown as Logger;
  const workerId = config.WORKER_ID || `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  const startedAt = new Date().toISOString();
  const { bus } = deps;

  const queueDepth = async () => {
    const stream = bus.streamName(STREAMS.DOCUMENTS);
    let depth = 0;
    for (const { durable } of INGESTION_CONSUMERS) {
      try {
        const info = await bus.jsm.consumers.info(stream, durable);
        depth += info.num_pending + info.num_ack_pending;
      } catch (error) {
        if (!isNotFound(error)) return undefined;
      }
    }
    return depth;
  };
  const metrics = createWorkerMetrics(app.metricsRegistry, queueDepth);
  // Embedding endpoints are chosen by admins: never one of the platform's own services.
  const outbound = new OutboundPolicy({
    ownServiceUrls: [...ownServiceUrls(config), `http://127.0.0.1:${config.PORT}`],
    allowHosts: parseAllowHosts(config.OUTBOUND_ALLOW_HOSTS),
  });
  app.addHook('onClose', () => outbound.close());
  const llm =
    deps.llm ??
    new LlmRouter({
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
      outbound,
    });
  const token =
    deps.serviceToken ??
    createServiceTokenSource({ authUrl: config.AUTH_URL, service: SERVICE, secret: config.SERVICE_CLIENT_SECRET });
  const kb = deps.kb ?? createKbClient({ baseUrl: config.KB_URL, token, timeoutMs: config.KB_REQUEST_TIMEOUT_MS });

  // Untrusted files are parsed in sandbox processes: a hostile one cannot stall this event loop.
  const sandbox = deps.parser ? undefined : new ParseSandbox(parseSandboxOptionsOf(config));
  const parser = deps.parser ?? sandbox!;

  const counters = { processed: 0, failed: 0 };
  const embedLimit = createLimit(config.EMBED_CONCURRENCY);
  const consumer = new JobConsumer({
    bus,
    logger: logger.child({ component: 'jobs' }),
    concurrency: config.WORKER_CONCURRENCY,
    ackWaitMs: config.JOB_ACK_WAIT_MS,
    maxDeliver: config.JOB_MAX_DELIVER,
    backoffMs: backoffOf(config),
    onActiveChange: (active) => metrics.inFlight.set(active),
    registry: app.metricsRegistry,
    handle: async (job, delivery) => {
      const outcome = await processJob(
        {
          db: deps.db.db,
          parser,
          kb,
          vectors: deps.vectors,
          llm,
          logger: logger.child({ component: 'processor' }),
          workerId,
          metrics,
          progressIntervalMs: config.PROGRESS_INTERVAL_MS,
          stepReportIntervalMs: config.STEP_REPORT_INTERVAL_MS,
          indexBatchSize: config.INDEX_BATCH_SIZE,
          embedLimit,
          hooks: deps.hooks,
        },
        job,
        delivery,
      );
      if (outcome === 'done') counters.processed++;
      if (outcome === 'failed') counters.failed++;
      return outcome;
    },
  });

  let presence: Subscription | undefined;
  app.addHook('onReady', async () => {
    await consumer.start();
    presence = answerPresence(bus, () => ({
      worker_id: workerId,
      started_at: startedAt,
      concurrency: config.WORKER_CONCURRENCY,
      in_flight: consumer.active,
      processed: counters.processed,
      failed: counters.failed,
    }));
    logger.info({ workerId, concurrency: config.WORKER_CONCURRENCY }, 'ingestion worker consuming');
  });
  app.addHook('onClose', async () => {
    presence?.unsubscribe();
    await consumer.stop(Math.max(0, config.SHUTDOWN_TIMEOUT_MS - 1_000));
    await sandbox?.close();
    await deps.vectors.close().catch(() => {});
  });
  return app;
}
