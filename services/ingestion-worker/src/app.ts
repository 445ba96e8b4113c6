/** The ingestion-worker service: parse, chunk, embed and index uploaded documents. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { INGESTION_CONSUMERS, STREAMS } from '@lumikb/contracts';
import { type EventBus, isNotFound } from '@lumikb/events';
import { ParseSandbox } from '@lumikb/ingest';
import type { LlmRouter } from '@lumikb/llm';
import {
  type BackgroundTask,
  createServiceTokenSource,
  defineService,
  type PlatformDeps,
  type ServiceTokenSource,
} from '@lumikb/service-kit';
import { llmRouterFor, outboundPolicyFor } from '@lumikb/service-kit/llm';
import { vectorStore } from '@lumikb/service-kit/vector-store';
import type { VectorStore } from '@lumikb/vector-store';
import type { Subscription } from 'nats';
import type { Logger } from 'pino';
import { backoffOf, type Config, parseSandboxOptionsOf, readConfig } from './config.ts';
import type { WorkerContext } from './context.ts';
import { type IngestionWorkerDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { JobConsumer } from './jobs/consumer.ts';
import { createLimit } from './jobs/embed-limit.ts';
import { type DocumentParser, type ProcessorHooks, processJob } from './jobs/processor.ts';
import { createKbClient, type KbClient } from './kb-client.ts';
import { createWorkerMetrics } from './metrics.ts';
import { answerPresence } from './presence.ts';

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

/** Jobs waiting or in flight on the ingestion consumers (undefined when NATS cannot say). */
function queueDepthOf(bus: EventBus) {
  return async () => {
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
}

/** The job consumer while the app is ready, and this worker's answer to queue monitoring's ping. */
function jobs(ctx: WorkerContext): BackgroundTask {
  const { config, processor } = ctx;
  const counters = { processed: 0, failed: 0 };
  const consumer = new JobConsumer({
    bus: ctx.bus,
    logger: ctx.logger.child({ component: 'jobs' }),
    concurrency: config.WORKER_CONCURRENCY,
    ackWaitMs: config.JOB_ACK_WAIT_MS,
    maxDeliver: config.JOB_MAX_DELIVER,
    backoffMs: backoffOf(config),
    onActiveChange: (active) => processor.metrics.inFlight.set(active),
    registry: ctx.registry,
    handle: async (job, delivery) => {
      const outcome = await processJob(processor, job, delivery);
      if (outcome === 'done') counters.processed++;
      if (outcome === 'failed') counters.failed++;
      return outcome;
    },
  });
  let presence: Subscription | undefined;
  return {
    async start() {
      await consumer.start();
      presence = answerPresence(ctx.bus, () => ({
        worker_id: ctx.workerId,
        started_at: ctx.startedAt,
        concurrency: config.WORKER_CONCURRENCY,
        in_flight: consumer.active,
        processed: counters.processed,
        failed: counters.failed,
      }));
      ctx.logger.info({ workerId: ctx.workerId, concurrency: config.WORKER_CONCURRENCY }, 'ingestion worker consuming');
    },
    async stop() {
      presence?.unsubscribe();
      await consumer.stop(Math.max(0, config.SHUTDOWN_TIMEOUT_MS - 1_000));
    },
  };
}

export const service = defineService<Config, IngestionWorkerDatabase, Deps, WorkerContext>({
  name: 'ingestion-worker',
  description: 'parse, chunk, embed and index uploaded documents.',
  schema: SCHEMA,
  migrations,
  streams: [STREAMS.DOCUMENTS, STREAMS.AUDIT],
  readConfig,
  capabilities: { vectors: vectorStore },
  context: ({ app, config, deps, logger }) => {
    const token =
      deps.serviceToken ??
      createServiceTokenSource({
        authUrl: config.AUTH_URL,
        service: 'ingestion-worker',
        secret: config.SERVICE_CLIENT_SECRET,
      });
    // Untrusted files are parsed in sandbox processes: a hostile one cannot stall this event loop.
    // Closed after the job consumer has stopped (hooks registered here run after the tasks' stop).
    const sandbox = deps.parser ? undefined : new ParseSandbox(parseSandboxOptionsOf(config));
    if (sandbox) app.addHook('onClose', () => sandbox.close());
    const workerId = config.WORKER_ID || `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
    return {
      config,
      bus: deps.bus,
      logger,
      registry: app.metricsRegistry,
      workerId,
      startedAt: new Date().toISOString(),
      processor: {
        db: deps.db.db,
        parser: deps.parser ?? sandbox!,
        kb: deps.kb ?? createKbClient({ baseUrl: config.KB_URL, token, timeoutMs: config.KB_REQUEST_TIMEOUT_MS }),
        vectors: deps.vectors,
        // Embedding endpoints are chosen by admins: never one of the platform's own services.
        llm: llmRouterFor(app, config, { outbound: outboundPolicyFor(app, config), given: deps.llm }),
        logger: logger.child({ component: 'processor' }),
        workerId,
        metrics: createWorkerMetrics(app.metricsRegistry, queueDepthOf(deps.bus)),
        progressIntervalMs: config.PROGRESS_INTERVAL_MS,
        stepReportIntervalMs: config.STEP_REPORT_INTERVAL_MS,
        indexBatchSize: config.INDEX_BATCH_SIZE,
        // Shared by every document of this worker: bounds the embedding batches in flight.
        embedLimit: createLimit(config.EMBED_CONCURRENCY),
        hooks: deps.hooks,
      },
    };
  },
  background: [jobs],
});

export const { connect, buildApp } = service;
export const SERVICE = service.name;
export const STREAMS_USED = service.streams;
